export function sourcesHash(rootUrl: string | URL): string;
export function distIsFresh(rootUrl: string | URL): boolean;

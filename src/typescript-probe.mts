// Imported only to learn whether this process loads TypeScript (src/load/typescript-loader.ts).
// An enum is not erasable: Node's own type stripping refuses it, so only a real TypeScript
// loader (tsx, vite's module runner) loads this file.
export enum Probe {
  Loaded = 1,
}

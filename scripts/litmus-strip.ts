/**
 * A harness step for diy-generated litmus files (paulmckrcu/litmus luc/RelAcq, ...), outside
 * the parser: the diy header (the quoted description and the Key=value lines between the
 * `C name` line and the initial state) is dropped, and registers a process uses without
 * declaring them are declared. The parser's own support for both replaces this.
 */
export function strip(text: string): string {
  const lines = text.split('\n');
  const brace = lines.findIndex((l) => /^\s*\{/.test(l));
  for (let i = 1; i < brace; i++) if (/^\s*"/.test(lines[i]) || /^\s*[A-Za-z][\w-]*\s*=/.test(lines[i])) lines[i] = '';
  let out = lines.join('\n');
  out = out.replace(/(P\d+\s*\([^)]*\)\s*\{)([\s\S]*?\n\})/g, (_m, head: string, body: string) => {
    const declared = new Set([...body.matchAll(/\bint\s+(\w+)/g)].map((m) => m[1]));
    const used = new Set([...body.matchAll(/\b(r\d+)\b/g)].map((m) => m[1]));
    const missing = [...used].filter((r) => !declared.has(r));
    return `${head}${missing.map((r) => `\n\tint ${r};`).join('')}${body}`;
  });
  return out;
}


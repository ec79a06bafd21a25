/**
 * Comments and tokens of a C litmus file, with the line each token is on.
 *
 * herd7 reads three kinds of comment in a C test: `(* ... *)` in the header, the initial
 * state and the final condition (its splitter and state lexer), and `/* ... *\/` and
 * `// ...` in the processes (its C lexer). They are all blanked here, everywhere, keeping
 * the line numbers: `(*` opens a comment only when a blank or a `*` follows it, since
 * `(*x)` and `(*(int **)x)` are C dereferences.
 */

export class LitmusSyntax extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The text with every comment replaced by blanks (newlines kept), and the comments' text.
 *
 * Where `(*` opens a comment depends on the part of the file, as in herd7: in the header,
 * the initial state and after the processes (herd7's splitter and state lexer) it always
 * does; in the processes (its C lexer, which has no such comment) only when a blank or a
 * `*` follows, since `(*x)` and `(*(int **)x)` there are C dereferences. The processes
 * run from the initial state's `}` to the first final keyword met outside braces.
 */
export function stripComments(text: string): { code: string; comments: string[] } {
  const comments: string[] = [];
  let code = '';
  let i = 0;
  /** 0 header, 1 initial state, 2 processes, 3 after them. */
  let part = 0;
  let depth = 0;
  const blank = (from: number, to: number) => {
    const c = text.slice(from, to);
    comments.push(c);
    code += c.replace(/[^\n]/g, ' ');
    return to;
  };
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const ch = text[i];
    if (two === '(*' && (part !== 2 || /[\s*]/.test(text[i + 2] ?? ' '))) {
      const end = text.indexOf('*)', i + 2);
      i = blank(i, end < 0 ? text.length : end + 2);
    } else if (two === '/*') {
      const end = text.indexOf('*/', i + 2);
      i = blank(i, end < 0 ? text.length : end + 2);
    } else if (two === '//') {
      const end = text.indexOf('\n', i);
      i = blank(i, end < 0 ? text.length : end);
    } else if (ch === '"' && part === 0) {
      // a quoted description (diy's): kept as it is, whatever it holds
      const end = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i);
      const stop = end < 0 || (nl >= 0 && nl < end) ? i + 1 : end + 1;
      code += text.slice(i, stop);
      i = stop;
    } else {
      if (part === 0 && ch === '{') part = 1;
      else if (part === 1 && ch === '}') part = 2;
      else if (part === 2 && ch === '{') depth++;
      else if (part === 2 && ch === '}') depth--;
      else if (part === 2 && depth === 0 && /[~a-z]/.test(ch) && !/\w/.test(text[i - 1] ?? ' ') && FINAL_START.test(text.slice(i, i + 12))) part = 3;
      code += ch;
      i++;
    }
  }
  return { code, comments };
}

/** Where the processes end: herd7's splitter stops at the first of these words. */
const FINAL_START = /^(~\s*exists|exists|forall|filter|locations)\b/;

const TOKEN =
  /\s+|(\/\\|\\\/|->|==|!=|<=|>=|&&|\|\||<<|>>|0[xX][0-9a-fA-F]+|[A-Za-z_][A-Za-z0-9_]*|\d+|[{}()[\];,=*&!~<>+\-:.|^%/?])/y;

/** A cursor over the tokens of a piece of the file. */
export class Tokens {
  private readonly toks: { t: string; line: number }[] = [];
  pos = 0;

  constructor(code: string, firstLine: number) {
    let line = firstLine;
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < code.length) {
      const at = TOKEN.lastIndex;
      const m = TOKEN.exec(code);
      if (!m) throw new LitmusSyntax(line, `unexpected character '${code[at]}'`);
      if (m[1]) this.toks.push({ t: m[1], line });
      line += (m[0].match(/\n/g) ?? []).length;
    }
  }

  get line(): number {
    return (this.toks[this.pos] ?? this.toks[this.toks.length - 1])?.line ?? 0;
  }

  peek(k = 0): string | undefined {
    return this.toks[this.pos + k]?.t;
  }

  next(): string {
    const t = this.toks[this.pos++];
    if (!t) throw new LitmusSyntax(this.line, 'unexpected end of file');
    return t.t;
  }

  expect(t: string): void {
    const line = this.line;
    if (this.done()) throw new LitmusSyntax(line, `expected '${t}', found the end of the file`);
    const got = this.next();
    if (got !== t) throw new LitmusSyntax(line, `expected '${t}', found '${got}'`);
  }

  eat(t: string): boolean {
    if (this.peek() !== t) return false;
    this.pos++;
    return true;
  }

  done(): boolean {
    return this.pos >= this.toks.length;
  }

  /** The line of the last token (where a missing ending is reported). */
  get lastLine(): number {
    return this.toks[this.toks.length - 1]?.line ?? 0;
  }
}

export const IDENT = /^[A-Za-z_]\w*$/;
export const NUMBER = /^(\d+|0[xX][0-9a-fA-F]+)$/;

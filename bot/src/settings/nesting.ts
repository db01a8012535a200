// How deep the lists and mappings of a YAML text go, measured on the parser's token tree before
// the document is built: building it recurses once per level, so 10,000 nested `[` would exhaust
// the stack. The token parser itself keeps its own stack and walks any depth safely.

import type { CST } from 'yaml';

/** Offset of the first collection nested deeper than `limit`, or undefined when none is. */
export function tooDeep(tokens: readonly CST.Token[], limit: number): number | undefined {
  // Depth-first with an explicit stack, children pushed last-first, so tokens come in file order.
  const pending: { token: CST.Token | null | undefined; depth: number }[] = [...tokens].reverse().map((token) => ({ token, depth: 0 }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    if (token?.type === 'document') {
      pending.push({ token: token.value, depth });
    } else if (token?.type === 'block-map' || token?.type === 'block-seq' || token?.type === 'flow-collection') {
      if (depth + 1 > limit) return token.offset;
      for (const item of [...token.items].reverse()) pending.push({ token: item.value, depth: depth + 1 }, { token: item.key, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * A small well-formedness check for the SVG the bench and the training report write
 * (no XML parser among the dependencies): balanced tags, quoted attributes, no raw `<`
 * or stray `&` in text, exactly one root element.
 */
export function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  while (pos < body.length) {
    const lt = body.indexOf('<', pos);
    const textPart = body.slice(pos, lt === -1 ? body.length : lt);
    const amp = textPart.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, '');
    if (amp.includes('&')) throw new Error(`stray & in text near ${JSON.stringify(textPart.slice(0, 40))}`);
    if (stack.length === 0 && textPart.trim() !== '') throw new Error(`text outside the root: ${JSON.stringify(textPart.slice(0, 40))}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(body.slice(lt, lt + 60))}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name);
    }
    pos = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

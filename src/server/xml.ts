/** Minimal XML writing for the COS response bodies (fixed shapes, so no general-purpose builder is needed). */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text content; characters XML 1.0 cannot carry at all are dropped rather than emitted invalid. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** `<name>escaped text</name>` */
export function el(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

/** `<name>children…</name>`, children already XML. */
export function node(name: string, children: string[] | string): string {
  return `<${name}>${Array.isArray(children) ? children.join('') : children}</${name}>`;
}

export function xmlDocument(root: string): string {
  return XML_DECLARATION + root;
}

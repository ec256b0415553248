// DOM helpers. Every piece of data (ids, file names, labels) goes in through textContent, never
// innerHTML, so a file named `<img src=x onerror=alert(1)>.png` shows as that text.

export function el(tag: string, className?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

export function text(e: HTMLElement, value: string): HTMLElement {
  e.textContent = value;
  return e;
}

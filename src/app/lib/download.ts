/**
 * Browser side of Export: saving text as a file and turning the heatmap <svg> into a standalone
 * SVG file or a PNG (drawn on a canvas at 2x for sharp text). The heatmap carries explicit colours
 * and fonts, so the file looks like the page without its stylesheet.
 *
 * Everything stays local: files are made from blob: URLs, nothing is uploaded.
 */
import { luminance } from './colour.ts';

/** `prm-playground-20250101-1230.<ext>` in local time. */
export function exportName(ext: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
  return `prm-playground-${stamp}.${ext}`;
}

/** Offers `blob` as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const CAPTION_LINE = 16;
const CAPTION_PAD = 10;
/** Room per caption character at 12px (wide enough for most proportional text). */
const CAPTION_CHAR = 6.4;

/** How many caption characters fit across a heatmap `width` px wide (at least `min` px). */
export function captionChars(width: number, min = 560): number {
  return Math.floor((Math.max(width, min) - 2 * CAPTION_PAD) / CAPTION_CHAR);
}

/**
 * The heatmap as a standalone SVG document (focus outlines and ARIA attributes stripped), with
 * `caption` lines (export.ts `exportCaption`) in a block under it, in the heatmap's own colours.
 * Returns the markup and its size.
 */
export function svgDocument(
  svg: SVGSVGElement,
  caption: readonly string[] = [],
): { markup: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', SVG_NS);
  for (const el of clone.querySelectorAll('[tabindex]')) el.removeAttribute('tabindex');
  const w = Number(svg.getAttribute('width'));
  const h = Number(svg.getAttribute('height'));
  if (caption.length === 0)
    return {
      markup: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`,
      width: w,
      height: h,
    };
  const width = Math.max(w, 560);
  const height = h + CAPTION_PAD * 2 + caption.length * CAPTION_LINE;
  const background = clone.querySelector('rect')?.getAttribute('fill') ?? '#ffffff';
  const dark = luminance(background) < 0.4;
  const outer = document.createElementNS(SVG_NS, 'svg');
  outer.setAttribute('xmlns', SVG_NS);
  outer.setAttribute('width', String(width));
  outer.setAttribute('height', String(height));
  outer.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', String(width));
  bg.setAttribute('height', String(height));
  bg.setAttribute('fill', background);
  clone.setAttribute('x', '0');
  clone.setAttribute('y', '0');
  const block = document.createElementNS(SVG_NS, 'g');
  block.setAttribute('data-caption', '');
  block.setAttribute('font-family', clone.getAttribute('font-family') ?? 'system-ui, sans-serif');
  block.setAttribute('font-size', '12');
  block.setAttribute('fill', dark ? '#ececf1' : '#1b1b1f');
  caption.forEach((line, i) => {
    const t = document.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', String(CAPTION_PAD));
    t.setAttribute('y', String(h + CAPTION_PAD + (i + 1) * CAPTION_LINE - 4));
    t.setAttribute('xml:space', 'preserve');
    t.textContent = line;
    block.append(t);
  });
  outer.append(bg, clone, block);
  return {
    markup: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(outer)}\n`,
    width,
    height,
  };
}

/** Rasterises an SVG document (`svgDocument`) to a PNG blob at `scale` times its size. */
export async function svgToPng(
  doc: { markup: string; width: number; height: number },
  scale = 2,
): Promise<Blob> {
  const { width, height } = doc;
  const url = URL.createObjectURL(new Blob([doc.markup], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx)
      throw new Error('This browser gave no 2D canvas, so the PNG cannot be drawn; export SVG instead.');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('The canvas could not encode a PNG; export SVG instead.'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

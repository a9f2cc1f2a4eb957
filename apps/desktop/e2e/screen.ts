// A PNG of the whole X screen, from the framebuffer Xvfb keeps in a file (`-fbdir`, XWD format).
// WebKitWebDriver's own screenshot hangs under Xvfb here, and this needs no other package.

import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

/** Reads an XWD ZPixmap of 24 or 32 bits per pixel into RGB rows. */
function readXwd(file: Buffer): { width: number; height: number; rgb: Buffer } {
  const field = (i: number) => file.readUInt32BE(i * 4);
  const headerSize = field(0);
  const [format, width, height, byteOrder, bitsPerPixel, bytesPerLine] = [field(2), field(4), field(5), field(7), field(11), field(12)];
  const [redMask, greenMask, blueMask] = [field(14), field(15), field(16)];
  const colors = field(19);
  if (format !== 2 || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) throw new Error(`unexpected XWD: format ${format}, ${bitsPerPixel} bits`);
  const data = headerSize + colors * 12;
  const shift = (mask: number) => Math.log2(mask & -mask);
  const [rs, gs, bs] = [shift(redMask), shift(greenMask), shift(blueMask)];
  const bytes = bitsPerPixel / 8;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = data + y * bytesPerLine + x * bytes;
      let pixel = 0;
      for (let b = 0; b < bytes; b++) {
        const byte = file[at + b] ?? 0;
        pixel = byteOrder === 0 ? pixel + byte * 2 ** (8 * b) : pixel * 256 + byte;
      }
      const o = (y * width + x) * 3;
      rgb[o] = Math.floor(pixel / 2 ** rs) & 0xff;
      rgb[o + 1] = Math.floor(pixel / 2 ** gs) & 0xff;
      rgb[o + 2] = Math.floor(pixel / 2 ** bs) & 0xff;
    }
  }
  return { width, height, rgb };
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** The screen of the Xvfb whose framebuffer file is `fbFile`, as a PNG. */
export function screenPng(fbFile: string): Buffer {
  const { width, height, rgb } = readXwd(readFileSync(fbFile));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

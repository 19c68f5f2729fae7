// The files of a ZIP archive, read in the browser: the central directory
// (APPNOTE 4.3.12), then each entry's bytes when asked for, stored (method 0)
// or deflated (method 8, inflated by DecompressionStream('deflate-raw')).
// ZIP64, encrypted and other methods are refused in words.

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

class ZipError extends Error {
  constructor(message) {
    super(message);
    this.code = 'ZipUnreadable';
  }
}

async function bytes(blob, start, end) {
  return new DataView(await blob.slice(start, end).arrayBuffer());
}

/** [{path, size, read(): Promise<File>}] for every file (not folder) of the archive `blob`. */
export async function zipEntries(blob) {
  const tailStart = Math.max(0, blob.size - 65557);  // the end record and a comment of at most 64 KB
  const tail = await bytes(blob, tailStart, blob.size);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError(`${blob.name || 'the file'} is not a ZIP archive`);
  const count = tail.getUint16(eocd + 10, true);
  const cdSize = tail.getUint32(eocd + 12, true);
  const cdOffset = tail.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not read here; unpack it and choose the folder');
  const cd = await bytes(blob, cdOffset, cdOffset + cdSize);
  const decoder = new TextDecoder();
  const entries = [];
  for (let p = 0, n = 0; n < count; n++) {
    if (p + 46 > cd.byteLength || cd.getUint32(p, true) !== CENTRAL) throw new ZipError('the archive\'s central directory is damaged');
    const flags = cd.getUint16(p + 8, true);
    const method = cd.getUint16(p + 10, true);
    const compressed = cd.getUint32(p + 20, true);
    const size = cd.getUint32(p + 24, true);
    const nameLength = cd.getUint16(p + 28, true);
    const skip = nameLength + cd.getUint16(p + 30, true) + cd.getUint16(p + 32, true);
    const localOffset = cd.getUint32(p + 42, true);
    const path = decoder.decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLength));
    p += 46 + skip;
    if (path.endsWith('/')) continue;
    entries.push({
      path,
      size,
      async read() {
        if (flags & 1) throw new ZipError(`${path} is encrypted`);
        if (method !== 0 && method !== 8) throw new ZipError(`${path} uses compression method ${method} (only stored and deflated are read)`);
        const local = await bytes(blob, localOffset, localOffset + 30);
        if (local.getUint32(0, true) !== LOCAL) throw new ZipError(`the archive's entry ${path} is damaged`);
        const start = localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
        let data = blob.slice(start, start + compressed);
        if (method === 8) data = await new Response(data.stream().pipeThrough(new DecompressionStream('deflate-raw'))).blob();
        return new File([data], path.split('/').pop());
      },
    });
  }
  return entries;
}

// Writes the scenario's image blobs (tests/fixtures/appview/blobs/) from fixed pixel
// patterns. Run once; the files are committed, so later runs of the recorder and the
// Python replay upload exactly the same bytes (and so get the same blob CIDs).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const sharp = require(require.resolve('sharp', { paths: [dirname(require.resolve('@atproto/bsky'))] }))

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'appview', 'blobs')

/** RGB pixels of a width x height image whose colours depend only on (x, y, seed). */
function pattern(width, height, seed) {
  const pixels = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      pixels[i] = (x * 4 + seed * 40) & 0xff
      pixels[i + 1] = (y * 4 + seed * 70) & 0xff
      pixels[i + 2] = ((x ^ y) * 2 + seed * 90) & 0xff
    }
  }
  return pixels
}

const IMAGES = [
  { name: 'avatar_alice.png', width: 64, height: 64, seed: 1, format: 'png' },
  { name: 'banner_alice.jpg', width: 192, height: 64, seed: 2, format: 'jpeg' },
  { name: 'avatar_bob.jpg', width: 64, height: 64, seed: 3, format: 'jpeg' },
  { name: 'avatar_bob_2.png', width: 64, height: 64, seed: 4, format: 'png' },
  { name: 'avatar_list.png', width: 32, height: 32, seed: 5, format: 'png' },
]

mkdirSync(OUT, { recursive: true })
for (const img of IMAGES) {
  const raw = sharp(pattern(img.width, img.height, img.seed), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
  const bytes = await (img.format === 'png' ? raw.png() : raw.jpeg({ quality: 80 })).toBuffer()
  writeFileSync(join(OUT, img.name), bytes)
  console.log(img.name, bytes.length)
}

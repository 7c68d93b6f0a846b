// Runs @atproto/api's own RichText over texts read as JSON from stdin and prints what it
// detects, so the Python detector can be compared with the reference itself.
// Usage: node upstream_oracle.mjs <network dir>   (stdin: ["text", ...])
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const api = join(process.argv[2], 'node_modules', '@atproto', 'api', 'dist', 'index.js')
const { RichText } = await import(pathToFileURL(api).href)
const texts = JSON.parse(readFileSync(0, 'utf8'))
const out = texts.map((text) => {
  const rt = new RichText({ text })
  rt.detectFacetsWithoutResolution()
  return {
    bytes: rt.length,
    graphemes: rt.graphemeLength,
    facets: (rt.facets ?? []).map((f) => [
      f.index.byteStart,
      f.index.byteEnd,
      ...f.features.map((x) => [x.$type.split('#')[1], x.did ?? x.uri ?? x.tag]),
    ]),
  }
})
process.stdout.write(JSON.stringify(out))

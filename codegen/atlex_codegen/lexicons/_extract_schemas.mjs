// Prints the lexicon documents of an @atproto/api release as one JSON array on stdout.
// Usage: node _extract_schemas.mjs <path to package/dist/client/lexicons.js>
// The file is an ES module whose imports we do not have (no npm install): we replace them with
// inert stand-ins and evaluate it in a temporary module, then read its `schemaDict` export.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const source = readFileSync(process.argv[2], 'utf8')
const stubs = [
  'class Lexicons { constructor() {} }',
  'class ValidationError extends Error {}',
  'const is$typed = () => false',
  'const maybe$typed = () => false',
].join('\n')
const body = source.replace(/^import[^;]*;\s*$/gm, '')
const dir = mkdtempSync(join(tmpdir(), 'atlex-lexicons-'))
try {
  const file = join(dir, 'lexicons.mjs')
  writeFileSync(file, stubs + '\n' + body)
  const mod = await import(pathToFileURL(file).href)
  if (!mod.schemaDict) throw new Error('no schemaDict export in ' + process.argv[2])
  process.stdout.write(JSON.stringify(Object.values(mod.schemaDict)))
} finally {
  rmSync(dir, { recursive: true, force: true })
}

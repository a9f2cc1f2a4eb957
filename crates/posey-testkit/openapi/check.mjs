// Checks an OpenAPI document the service generated, against the official OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator) with every $ref resolving, and real responses the test
// collected against the schema the document gives for their operation and status (ajv, JSON
// Schema 2020-12, which OpenAPI 3.1's schemas are). Run by tests/api/openapi.rs:
//   node check.mjs <file with {"document": {...}, "samples": [{method, path, status, body}]}>
// Prints what is wrong and exits 1, or prints "ok" and a count.

import { readFile } from 'node:fs/promises'

import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

const { document, samples = [] } = JSON.parse(await readFile(process.argv[2], 'utf8'))
const problems = []

if (document.openapi !== '3.1.0') problems.push(`openapi is ${document.openapi}, not 3.1.0`)
const validator = new Validator()
const result = await validator.validate(structuredClone(document))
if (!result.valid) problems.push(`not valid OpenAPI ${validator.version}: ${JSON.stringify(result.errors, null, 1)}`)
try {
  validator.resolveRefs()
} catch (e) {
  problems.push(`a $ref does not resolve: ${e.message}`)
}

// Example values and OpenAPI's own keywords are not JSON Schema's: not strict.
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
const id = 'https://posey.invalid/openapi.json'
ajv.addSchema({ ...document, $id: id })
const escape = (segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')

for (const { method, path, status, body } of samples) {
  const where = `${method.toUpperCase()} ${path} ${status}`
  const operation = document.paths?.[path]?.[method]
  if (!operation) {
    problems.push(`${where}: the document has no such operation`)
    continue
  }
  const response = operation.responses?.[String(status)] ?? operation.responses?.default
  if (!response) {
    problems.push(`${where}: the operation documents no ${status} response`)
    continue
  }
  const content = response.content?.['application/json']
  if (body === null || body === undefined) {
    if (content) problems.push(`${where}: documented with a JSON body, but none came`)
    continue
  }
  if (!content?.schema) {
    problems.push(`${where}: a JSON body came, but none is documented`)
    continue
  }
  const code = operation.responses?.[String(status)] ? String(status) : 'default'
  const pointer = ['paths', path, method, 'responses', code, 'content', 'application/json', 'schema']
    .map(escape)
    .join('/')
  const validate = ajv.getSchema(`${id}#/${pointer}`)
  if (!validate(body)) {
    problems.push(`${where}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`)
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n\n'))
  process.exit(1)
}
console.log(`ok: the document is valid OpenAPI ${validator.version}; ${samples.length} responses match it`)

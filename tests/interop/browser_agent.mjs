// What the scenarios share: agents whose every request is checked as a browser checks it,
// a log of every XRPC call and its status, and what the client made of a failed call.
import { AtpAgent, XRPCError } from '@atproto/api'

// Every request the client makes is also checked the way a browser would check it on a web
// page of another origin: a CORS preflight when the request needs one, then
// Access-Control-Allow-Origin on the answer. What a browser would block lands in cors.problems.
const ORIGIN = 'https://app.example'
const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST'])
const SAFELISTED_HEADERS = new Set(['accept', 'accept-language', 'content-language'])
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'])
export const cors = { requests: 0, preflights: 0, problems: [] }
// Every XRPC request the agents made and how it was answered: {method, nsid, status, proxy}.
export const traffic = []

function unsafeHeaders(headers) {
  return [...headers.keys()].filter((name) => !SAFELISTED_HEADERS.has(name) && !(name === 'content-type'
    && SIMPLE_CONTENT_TYPES.has(headers.get(name).split(';')[0].trim().toLowerCase()))).sort()
}

function allowsOrigin(response) {
  const allowed = response.headers.get('access-control-allow-origin')
  return allowed === '*' || allowed === ORIGIN
}

async function preflight(request, headers) {
  cors.preflights += 1
  const path = new URL(request.url).pathname
  const answer = await fetch(request.url, { method: 'OPTIONS', headers: {
    origin: ORIGIN, 'access-control-request-method': request.method,
    'access-control-request-headers': headers.join(',') } })
  const listed = (name) => (answer.headers.get(name) ?? '').split(',').map((v) => v.trim().toLowerCase())
  if (!answer.ok) cors.problems.push(`${path}: preflight answered ${answer.status}`)
  if (!allowsOrigin(answer)) cors.problems.push(`${path}: preflight without Access-Control-Allow-Origin`)
  const methods = listed('access-control-allow-methods')
  if (!SAFELISTED_METHODS.has(request.method) && !methods.includes(request.method.toLowerCase())) {
    cors.problems.push(`${path}: method ${request.method} not allowed`)
  }
  const allowedHeaders = listed('access-control-allow-headers')
  for (const name of headers) {
    // "*" never covers Authorization (Fetch standard, CORS-preflight fetch)
    const wildcard = allowedHeaders.includes('*') && name !== 'authorization'
    if (!wildcard && !allowedHeaders.includes(name)) cors.problems.push(`${path}: header ${name} not allowed`)
  }
}

async function browserFetch(input, init) {
  const request = new Request(input, init)
  cors.requests += 1
  const headers = unsafeHeaders(request.headers)
  if (headers.length > 0 || !SAFELISTED_METHODS.has(request.method)) await preflight(request, headers)
  request.headers.set('origin', ORIGIN)
  const response = await fetch(request)
  traffic.push({ method: request.method, nsid: new URL(request.url).pathname.replace(/^\/xrpc\//, ''),
                 status: response.status, proxy: request.headers.get('atproto-proxy') })
  if (!allowsOrigin(response)) {
    cors.problems.push(`${new URL(request.url).pathname}: ${response.status} without Access-Control-Allow-Origin`)
  }
  return response
}

/** A new agent on `service`; `events` collects what it tells persistSession. */
export function newAgentOn(service, events = []) {
  return new AtpAgent({ service, fetch: browserFetch, persistSession: (event) => events.push(event) })
}

/** What the client made of a failed call: the class it chose, status, error name. */
export async function failure(call) {
  try {
    await call()
  } catch (error) {
    return {
      class: error?.constructor?.name ?? null,
      isXrpcError: error instanceof XRPCError,
      status: error?.status ?? null,
      error: error?.error ?? null,
      message: error?.message ?? null,
    }
  }
  return null
}

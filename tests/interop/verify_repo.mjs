// Verifies exprsn-pds output with the official @atproto/repo library.
// Usage: node verify_repo.mjs <command> <json-args>; prints one JSON result line.
//   repo    {car, did, key}                 full export: verifyRepoCar
//   diff    {base, diff, did, key}          since-diff on top of a full export: verifyDiffCar
//   records {car, did, key}                 record proofs: verifyRecords
import { readFileSync } from 'node:fs'
import repo from '@atproto/repo'

const { MemoryBlockstore, Repo, readCarWithRoot, verifyDiffCar, verifyRecords, verifyRepoCar } = repo

const [command, rawArgs] = process.argv.slice(2)
const args = JSON.parse(rawArgs)

const describeRecords = (entries) =>
  entries.map((e) => ({ collection: e.collection, rkey: e.rkey, cid: e.cid?.toString() ?? null }))

async function main() {
  if (command === 'repo') {
    const verified = await verifyRepoCar(readFileSync(args.car), args.did, args.key)
    return { ok: true, commit: verified.commit.cid?.toString() ?? null, rev: verified.commit.rev,
             records: describeRecords(verified.creates) }
  }
  if (command === 'diff') {
    const base = await readCarWithRoot(readFileSync(args.base))
    const storage = new MemoryBlockstore(base.blocks)
    const repo = await Repo.load(storage, base.root)
    const verified = await verifyDiffCar(repo, readFileSync(args.diff), args.did, args.key)
    return { ok: true, rev: verified.commit.rev,
             writes: verified.writes.map((w) => ({ action: w.action, collection: w.collection, rkey: w.rkey })) }
  }
  if (command === 'records') {
    const claims = await verifyRecords(readFileSync(args.car), args.did, args.key)
    return { ok: true, records: claims.map((c) => ({ collection: c.collection, rkey: c.rkey, record: c.record })) }
  }
  throw new Error(`unknown command ${command}`)
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => { console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error) })) },
)

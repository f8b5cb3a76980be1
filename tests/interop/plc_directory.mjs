// A did:plc directory (the official @did-plc/server) with its in-memory database,
// listening on 127.0.0.1 at a free port. Prints one JSON line {"url": ...} once ready;
// exits when its standard input closes (the test process ended) or on SIGTERM.
import http from 'node:http'
import plcServer from '@did-plc/server'

const { PlcServer, Database } = plcServer

const server = PlcServer.create({ db: Database.mock(), port: 0 })
const listener = http.createServer(server.app)
listener.listen(0, '127.0.0.1', () => {
  const { port } = listener.address()
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}` }) + '\n')
})

const stop = () => {
  listener.close()
  listener.closeAllConnections()
  process.exit(0)
}
process.stdin.on('end', stop)
process.stdin.resume()
process.on('SIGTERM', stop)

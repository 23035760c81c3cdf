// Raw baseline of the boot bench (boot.bench.ts): plain node opens the same SQLite registry,
// reads one unit row, and answers every HTTP request with an ok envelope. What a terminal process
// costs at the least: node itself, better-sqlite3 and an HTTP listener.
//   node test/bench/boot-raw-server.mjs REGISTRY_DB PORT
import { createServer } from 'node:http';
import Database from 'better-sqlite3';

const [file, port] = process.argv.slice(2);
const db = new Database(file, { readonly: true });
db.prepare('SELECT * FROM registry_units LIMIT 1').get();
const body = JSON.stringify({ status: 'ok', data: { level: 'ok' } });
createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(body);
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

const mysql = require('mysql2/promise'); const fs = require('fs');
const mode = process.argv[2];
(async () => {
  const t0 = performance.now();
  const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: 'pb' });
  const sql = fs.readFileSync(mode === 'raw' ? '/tmp/raw.sql' : '/tmp/tracked.sql', 'utf8').split(/;\n/).filter(s => s.trim());
  for (const s of sql) {
    if (mode === 'exec' && s.startsWith('INSERT')) { const m = s.match(/VALUES \('([^']*)', '([^']*)', '([^']*)'\)/); await c.execute('INSERT INTO `covet_migrations` (`name`, `app`, `checksum`) VALUES (?, ?, ?)', [m[1], m[2], m[3]]); }
    else await c.query(s);
  }
  await c.end();
  console.log(mode, (performance.now() - t0).toFixed(0));
})();

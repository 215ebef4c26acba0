// The whole Covet story on SQLite, in a scratch copy of this example (./.demo), so the
// example itself stays as committed: makemigrations, migrate, a model change, makemigrations,
// migrate, showmigrations, rollback, showmigrations.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const example = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(example, '.demo');
const require = createRequire(join(example, 'package.json'));
const bin = join(dirname(require.resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[22m` : text);
const step = (text) => console.log(`\n${bold(`== ${text}`)}`);

function covet(...args) {
  console.log(bold(`$ covet ${args.join(' ')}`));
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`covet ${args.join(' ')} exited with ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

function showNewestMigration() {
  const directory = join(work, 'migrations');
  const newest = readdirSync(directory).filter((file) => file.endsWith('.ts')).sort().at(-1);
  console.log(bold(`--- migrations/${newest}`));
  console.log(readFileSync(join(directory, newest), 'utf8'));
}

rmSync(work, { recursive: true, force: true });
cpSync(join(example, 'models'), join(work, 'models'), { recursive: true });
cpSync(join(example, 'covet.config.ts'), join(work, 'covet.config.ts'));
console.log(`Covet demo in ${work} (SQLite file blog.db)`);

step('1. Generate the first migration from the models');
covet('makemigrations', '--name', 'initial');
showNewestMigration();

step('2. Apply it');
covet('migrate');

step('3. Change the models: add users.display_name, widen posts.title, index comments.created_at');
const usersFile = join(work, 'models', 'users.ts');
writeFileSync(usersFile, readFileSync(usersFile, 'utf8').replace("  bio: t.text(),\n", "  bio: t.text(),\n  display_name: t.varchar(80),\n"));
const postsFile = join(work, 'models', 'posts.ts');
writeFileSync(postsFile, readFileSync(postsFile, 'utf8').replace("title: t.varchar(200).notNull()", "title: t.varchar(300).notNull()"));
const commentsFile = join(work, 'models', 'comments.ts');
writeFileSync(
  commentsFile,
  readFileSync(commentsFile, 'utf8').replace(
    "indexes: [{ name: 'comments_post_id_idx', columns: ['post_id'] }]",
    "indexes: [{ name: 'comments_post_id_idx', columns: ['post_id'] }, { name: 'comments_created_at_idx', columns: ['created_at'] }]",
  ),
);

step('4. Generate the migration for the change');
covet('makemigrations', '--name', 'profile_and_search');
showNewestMigration();

step('5. Preview its SQL, then apply it');
covet('migrate', '--dry-run');
covet('migrate');

step('6. Nothing left to detect');
covet('makemigrations');

step('7. Where each app stands');
covet('showmigrations');

step('8. Roll back the last migration');
covet('rollback');

step('9. And where it stands now');
covet('showmigrations');
covet('showmigrations', '--json');
console.log(`\nDone. Explore it: cd ${work} && npx covet --help`);

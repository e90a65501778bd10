import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { packageRoot } from "./package-root.js";
import type { RenderedFile } from "./types.js";

export class WriteError extends Error {}

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** Kernel pseudo-filesystems: nothing can be generated there (and Node's recursive mkdir spins forever under /proc). */
const PSEUDO_FS = ["/proc", "/sys", "/dev"];

/**
 * Refuse at once, naming the folder as given: a pseudo-filesystem, or a folder
 * to create whose nearest existing parent this user can't write to.
 */
function checkTarget(outDir: string, abs: string, write: boolean): void {
  const real = realExisting(abs);
  for (const p of PSEUDO_FS) {
    if (real === p || real.startsWith(p + "/"))
      throw new WriteError(
        `--out ${outDir}: ${p} is a kernel pseudo-filesystem, not a place for files; choose a folder in your home or workspace`,
      );
  }
  if (!write) return;
  let existing = abs;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (statSync(existing).isDirectory()) accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      const what =
        existing === abs
          ? "it is not writable by you"
          : `it would be created in ${existing}, which is not writable by you`;
      throw new WriteError(
        `--out ${outDir}: ${what}${code === "EROFS" ? " (read-only file system)" : ""}; choose a folder you can write to`,
      );
    }
  }
}

/** Refuse output folders that are files, inside this package, or reached through a symlink that leaves them. */
export function checkOutDir(
  outDir: string,
  files: Array<Pick<RenderedFile, "path">> = [],
  options: { write?: boolean } = {},
): void {
  const abs = resolve(outDir);
  checkTarget(outDir, abs, options.write ?? true);
  try {
    if (!lstatSync(abs).isDirectory() && !statSync(abs).isDirectory())
      throw new WriteError(`--out ${outDir} is a file, not a folder`);
  } catch (e) {
    if (e instanceof WriteError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOTDIR")
      throw new WriteError(`--out ${outDir}: a parent of it is a file, not a folder`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM")
      throw new WriteError(
        `--out ${outDir}: a folder on the way to it can't be read by you (permission denied); choose a folder you can write to`,
      );
    if (code !== "ENOENT") throw new WriteError(`--out ${outDir}: ${(e as Error).message}`);
  }
  const real = realExisting(abs);
  const pkg = realpathSync(packageRoot);
  if (inside(pkg, real))
    throw new WriteError(
      `--out ${outDir} is inside the generator package (${packageRoot}); choose a folder outside it`,
    );
  for (const f of files) {
    if (f.path.split("/").some((p) => p === ".." || p === "") || isAbsolute(f.path))
      throw new WriteError(`refusing to write ${f.path}: not a plain relative path`);
    let p = abs;
    for (const part of f.path.split("/")) {
      p = join(p, part);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        break;
      }
      if (st.isSymbolicLink()) {
        const target = realExisting(p);
        if (!inside(real, target))
          throw new WriteError(
            `${join(outDir, relative(abs, p))} is a symlink to ${target}, outside the output folder; remove it or generate elsewhere`,
          );
      }
    }
  }
}

/** realpath of the longest existing prefix of p, with the rest appended. */
function realExisting(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const up = dirname(cur);
      if (up === cur) return p;
      rest.push(cur.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
      cur = up;
    }
  }
}

/** Where a write keeps its journal while it runs: a folder in the output folder, named for the writing process. */
const TX_PREFIX = ".gitlab-runner-aws-tx.";

interface Journal {
  /** Temporary sibling → target, relative to the output folder. */
  renames: Array<[string, string]>;
  removes: string[];
}

function readJournal(path: string): Journal | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Journal;
  } catch {
    return undefined;
  }
}

/** Remove a file or folder if it is there; a path that can't exist (a parent is a file) is fine too. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // ENOTDIR and the like: nothing of ours is there.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The renames and removals of a committed write, done (again) until they all are. */
function applyJournal(outDir: string, j: Journal): void {
  for (const [tmp, target] of j.renames) {
    if (existsSync(join(outDir, tmp))) renameSync(join(outDir, tmp), join(outDir, target));
  }
  for (const r of j.removes) {
    rmSync(join(outDir, r), { force: true });
    removeEmptyParents(outDir, dirname(join(outDir, r)));
  }
}

/** Journals of writes to outDir that were interrupted (or are running in another process). */
export function interruptedWrites(outDir: string): string[] {
  try {
    return readdirSync(outDir).filter(
      (n) => n.startsWith(TX_PREFIX) && Number(n.slice(TX_PREFIX.length)) !== process.pid,
    );
  } catch {
    return [];
  }
}

/**
 * Finish what an interrupted write (a killed process) left in outDir: a write
 * that had committed is completed, one that had not is undone (its temporary
 * files go). Returns what it did, for the caller to report.
 */
export function recoverInterruptedWrites(outDir: string): string[] {
  const names = interruptedWrites(outDir);
  const done: string[] = [];
  for (const name of names) {
    const pid = Number(name.slice(TX_PREFIX.length));
    if (pid !== process.pid && alive(pid)) {
      throw new WriteError(
        `another gitlab-runner-aws (process ${pid}) is writing to ${outDir}; wait for it to finish. If none is running (process ${pid} is something else now), delete ${join(outDir, name)} and run again`,
      );
    }
    const tx = join(outDir, name);
    const committed = readJournal(join(tx, "commit.json"));
    if (committed) {
      applyJournal(outDir, committed);
      done.push(`completed an interrupted write of ${committed.renames.length} file(s)`);
    } else {
      for (const [tmp] of readJournal(join(tx, "pending.json"))?.renames ?? []) removeQuietly(join(outDir, tmp));
      done.push("removed the temporary files of an interrupted write; the files it was writing are as they were");
    }
    rmSync(tx, { recursive: true, force: true });
  }
  return done;
}

/**
 * All or nothing, even if the process is killed: every file is first written
 * to a temporary sibling, listed in a journal in the output folder; once all
 * are on disk the journal is committed (one rename), then the temporaries are
 * renamed over their targets and the removed files deleted (with folders this
 * leaves empty). A failure before the commit undoes everything, folders made
 * included; a kill after it is completed by the next run (recoverInterruptedWrites).
 */
export function writeFilesAtomically(outDir: string, files: RenderedFile[], remove: string[] = []): void {
  checkOutDir(outDir, [...files, ...remove.map((path) => ({ path }))]);
  recoverInterruptedWrites(outDir);
  const tx = join(outDir, TX_PREFIX + process.pid);
  const tmpOf = (path: string) => join(dirname(path), `.${path.split("/").pop()}.${process.pid}.tmp`);
  const journal: Journal = { renames: files.map((f) => [tmpOf(f.path), f.path]), removes: remove };
  const madeDirs: string[] = [];
  const mkdirs = (dir: string) => {
    const first = mkdirSync(dir, { recursive: true });
    if (first === undefined) return;
    const made: string[] = [];
    for (let d = dir; d.length >= first.length; d = dirname(d)) made.push(d);
    madeDirs.push(...made);
    for (const d of made.reverse()) keepOwner(d, dirname(d));
  };
  let committed = false;
  const rollback = () => {
    for (const [tmp] of journal.renames) removeQuietly(join(outDir, tmp));
    removeQuietly(tx);
    // Deepest first, so each folder this run made is empty when its turn comes.
    for (const d of madeDirs.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(d);
      } catch {
        // Not empty: something else wrote there meanwhile; leave it.
      }
    }
  };
  // The write is synchronous, so these listeners only hold SIGINT/SIGTERM off until it is done.
  const hold = () => undefined;
  process.on("SIGINT", hold);
  process.on("SIGTERM", hold);
  try {
    for (const r of remove) {
      if (!lstatSync(join(outDir, r)).isFile())
        throw new WriteError(`nothing was written: ${join(outDir, r)} is not a regular file, so it is not removed`);
    }
    for (const f of files) {
      const target = join(outDir, f.path);
      let st;
      try {
        st = lstatSync(target);
      } catch {
        st = undefined;
      }
      if (st?.isDirectory())
        throw new WriteError(`nothing was written: ${target} is a folder where the file ${f.path} goes`);
    }
    mkdirs(tx);
    writeFileSync(join(tx, "pending.json"), JSON.stringify(journal));
    for (const f of files) {
      const tmp = join(outDir, tmpOf(f.path));
      mkdirs(dirname(tmp));
      writeFileSync(tmp, f.contents, { mode: f.mode });
      chmodSync(tmp, f.mode);
      keepOwner(tmp, existsSync(join(outDir, f.path)) ? join(outDir, f.path) : dirname(tmp));
    }
    writeFileSync(join(tx, "commit.json.part"), JSON.stringify(journal));
    renameSync(join(tx, "commit.json.part"), join(tx, "commit.json"));
    committed = true;
    applyJournal(outDir, journal);
    rmSync(tx, { recursive: true, force: true });
  } catch (e) {
    if (committed)
      throw new WriteError(
        `writing to ${outDir} was interrupted (${(e as Error).message}); run gitlab-runner-aws there again to finish it`,
      );
    rollback();
    if (e instanceof WriteError) throw e;
    const err = e as NodeJS.ErrnoException;
    // Name the folder the user gave, not the journal or temporary file that failed.
    // Name a folder the user knows: not the journal or a temporary sibling, but the folder it was to go in.
    const failed =
      !err.path || err.path.includes(TX_PREFIX) ? outDir : /\.\d+\.tmp$/.test(err.path) ? dirname(err.path) : err.path;
    const why =
      err.code === "EACCES" || err.code === "EPERM" || err.code === "EROFS"
        ? `${failed} is not writable${err.code === "EROFS" ? " (read-only file system)" : ""}`
        : err.message;
    throw new WriteError(`nothing was written: ${why}`);
  } finally {
    process.removeListener("SIGINT", hold);
    process.removeListener("SIGTERM", hold);
  }
}

/**
 * Root rewriting a user's repo (a CI job, a container) leaves it theirs: a
 * replaced file keeps its owner, a new file or folder takes its folder's.
 */
function keepOwner(path: string, like: string): void {
  if (process.getuid?.() !== 0) return;
  const want = lstatSync(like);
  const have = lstatSync(path);
  if (have.uid !== want.uid || have.gid !== want.gid) chownSync(path, want.uid, want.gid);
}

function removeEmptyParents(outDir: string, dir: string): void {
  const root = resolve(outDir);
  for (let d = resolve(dir); d !== root && inside(root, d); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

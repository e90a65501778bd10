import { chmodSync, lstatSync, mkdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { packageRoot } from "./package-root.js";
import type { RenderedFile } from "./types.js";

export class WriteError extends Error {}

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** Refuse output folders that are files, inside this package, or reached through a symlink that leaves them. */
export function checkOutDir(outDir: string, files: Array<Pick<RenderedFile, "path">> = []): void {
  const abs = resolve(outDir);
  try {
    if (!lstatSync(abs).isDirectory() && !statSync(abs).isDirectory()) throw new WriteError(`--out ${outDir} is a file, not a folder`);
  } catch (e) {
    if (e instanceof WriteError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOTDIR") throw new WriteError(`--out ${outDir}: a parent of it is a file, not a folder`);
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new WriteError(`--out ${outDir}: ${(e as Error).message}`);
  }
  const real = realExisting(abs);
  const pkg = realpathSync(packageRoot);
  if (inside(pkg, real)) throw new WriteError(`--out ${outDir} is inside the generator package (${packageRoot}); choose a folder outside it`);
  for (const f of files) {
    if (f.path.split("/").some((p) => p === ".." || p === "") || isAbsolute(f.path)) throw new WriteError(`refusing to write ${f.path}: not a plain relative path`);
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
        if (!inside(real, target)) throw new WriteError(`${join(outDir, relative(abs, p))} is a symlink to ${target}, outside the output folder; remove it or generate elsewhere`);
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

/**
 * All or nothing: every file is first written to a temporary sibling and every
 * file to remove is moved to a temporary sibling; only when all of that has
 * succeeded are the new files renamed over their targets and the moved-away
 * ones deleted (with folders this leaves empty). A failure (or a signal) before
 * the renames puts everything back as it was.
 */
export function writeFilesAtomically(outDir: string, files: RenderedFile[], remove: string[] = []): void {
  checkOutDir(outDir, [...files, ...remove.map((path) => ({ path }))]);
  const staged: Array<{ tmp: string; target: string }> = [];
  const movedAway: Array<{ tmp: string; target: string }> = [];
  const madeDirs: string[] = [];
  const rollback = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const m of movedAway.reverse()) renameSync(m.tmp, m.target);
    // Deepest first, so each folder this run made is empty when its turn comes.
    for (const d of madeDirs.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(d);
      } catch {
        // Not empty: something else wrote there meanwhile; leave it.
      }
    }
    staged.length = movedAway.length = madeDirs.length = 0;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    rollback();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tmpOf = (target: string, kind: string) => join(dirname(target), `.${target.split(sep).pop()}.${process.pid}.${kind}`);
  try {
    for (const f of files) {
      const target = join(outDir, f.path);
      const first = mkdirSync(dirname(target), { recursive: true });
      if (first !== undefined) for (let d = dirname(target); d.length >= first.length; d = dirname(d)) madeDirs.push(d);
      const tmp = tmpOf(target, "tmp");
      staged.push({ tmp, target });
      writeFileSync(tmp, f.contents, { mode: f.mode });
      chmodSync(tmp, f.mode);
    }
    for (const r of remove) {
      const target = join(outDir, r);
      if (!lstatSync(target).isFile()) throw new WriteError(`nothing was written: ${target} is not a regular file, so it is not removed`);
      const tmp = tmpOf(target, "removed");
      renameSync(target, tmp);
      movedAway.push({ tmp, target });
    }
    for (const s of staged) renameSync(s.tmp, s.target);
    staged.length = 0;
  } catch (e) {
    rollback();
    if (e instanceof WriteError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EACCES" || err.code === "EPERM" || err.code === "EROFS" ? `${err.path ?? outDir} is not writable` : err.message;
    throw new WriteError(`nothing was written: ${why}`);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  for (const m of movedAway) {
    rmSync(m.tmp, { force: true });
    removeEmptyParents(outDir, dirname(m.target));
  }
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

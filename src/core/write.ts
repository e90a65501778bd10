import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { packageRoot } from "./package-root.js";
import type { RenderedFile } from "./types.js";

export class WriteError extends Error {}

export type Change = "create" | "update" | "unchanged";

function inside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r === "" || (!r.startsWith("..") && !isAbsolute(r));
}

/** What writing these files to outDir would do to each, without writing. */
export function planChanges(outDir: string, files: RenderedFile[]): Array<{ path: string; change: Change }> {
  return files.map((f) => {
    const target = join(outDir, f.path);
    let current: string | undefined;
    try {
      current = readFileSync(target, "utf8");
    } catch {
      current = undefined;
    }
    if (current === undefined) return { path: f.path, change: "create" as const };
    const modeDiffers = (statSync(target).mode & 0o111) !== (f.mode & 0o111);
    return { path: f.path, change: current === f.contents && !modeDiffers ? ("unchanged" as const) : ("update" as const) };
  });
}

/** Refuse output folders that are files, inside this package, or reached through a symlink that leaves them. */
export function checkOutDir(outDir: string, files: RenderedFile[] = []): void {
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
 * All or nothing: every file is first written to a temporary sibling, and only
 * when all of them are on disk are they renamed over their targets. A failure
 * (or a signal) before the renames leaves the previous tree as it was.
 * `remove` lists paths to delete once the renames are done.
 */
export function writeFilesAtomically(outDir: string, files: RenderedFile[], remove: string[] = []): void {
  checkOutDir(outDir, files);
  const staged: Array<{ tmp: string; target: string }> = [];
  const cleanup = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const f of files) {
      const target = join(outDir, f.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.${f.path.split("/").pop()}.${process.pid}.tmp`);
      staged.push({ tmp, target });
      writeFileSync(tmp, f.contents, { mode: f.mode });
      chmodSync(tmp, f.mode);
    }
    for (const s of staged) renameSync(s.tmp, s.target);
    staged.length = 0;
    for (const r of remove) unlinkSync(join(outDir, r));
  } catch (e) {
    cleanup();
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EACCES" || err.code === "EPERM" || err.code === "EROFS" ? `${err.path ?? outDir} is not writable` : err.message;
    throw new WriteError(`nothing was written: ${why}`);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

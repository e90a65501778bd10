export type { Answers, Pool, Schedule } from "./answers.generated.js";

export interface RenderedFile {
  /** POSIX path relative to the generated repo's root. */
  path: string;
  contents: string;
  /** 0o755 for files that start with a shebang, else 0o644. */
  mode: number;
}

/** One problem with the answers: where (JSON pointer), what was there, what is allowed. */
export interface AnswerError {
  path: string;
  value?: unknown;
  message: string;
}

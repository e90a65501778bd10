// Rewrite the answers table in README.md from the schema (npm run docs).
import { readFileSync, writeFileSync } from "node:fs";
import { answersTable } from "../dist/src/core/help.js";
import { replaceAnswersTable } from "../dist/src/core/readme-table.js";

const path = new URL("../README.md", import.meta.url);
const before = readFileSync(path, "utf8");
const after = replaceAnswersTable(before, answersTable());
if (after !== before) writeFileSync(path, after);
console.log(after === before ? "README.md: answers table up to date" : "README.md: answers table rewritten");

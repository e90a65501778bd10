export { render, templateContext, storedConfig, GENERATOR_NAME, STORE_FILE } from "./render.js";
export { pins } from "./pins.js";
export { validateAnswers, formatError } from "./validate.js";
export { loadTemplates, defaultTemplatesDir, outputPath } from "./templates.js";
export { answersSchema, answerKeys, schemaVersion } from "./schema.js";
export type { Answers, Pool, RenderedFile, AnswerError, Schedule } from "./types.js";

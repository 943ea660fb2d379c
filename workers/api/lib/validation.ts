import type { z } from "zod";
import { ApiError } from "./errors";

/** zod's own wording of an enum or literal mismatch (a schema's custom message is kept as it is). */
const ZOD_OPTION_MESSAGE = /^Invalid (option|input)/;

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `Unknown or read-only field(s): ${issue.keys.join(", ")}`;
  // Every enum says what it takes, missing or wrong alike, in the words custom fields use.
  if (issue.code === "invalid_value" && ZOD_OPTION_MESSAGE.test(issue.message)) {
    return `Expected one of: ${issue.values.map(String).join(", ")}`;
  }
  return issue.message;
}

/** zod issues → one VALIDATION_ERROR per field, in the envelope's shape. */
export function validationError(error: z.ZodError): ApiError {
  return ApiError.validation(
    error.issues.map((issue) => {
      const field = issue.path.map(String).join(".");
      const message = messageOf(issue);
      return field ? { field, message } : { message };
    }),
  );
}

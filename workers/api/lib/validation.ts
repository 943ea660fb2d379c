import type { z } from "zod";
import { ApiError } from "./errors";

/** zod issues → one VALIDATION_ERROR per field, in the envelope's shape. */
export function validationError(error: z.ZodError): ApiError {
  return ApiError.validation(
    error.issues.map((issue) => {
      const field = issue.path.map(String).join(".");
      const message =
        issue.code === "unrecognized_keys"
          ? `Unknown or read-only field(s): ${issue.keys.join(", ")}`
          : issue.message;
      return field ? { field, message } : { message };
    }),
  );
}

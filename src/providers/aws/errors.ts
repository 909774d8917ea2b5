import { GatewayError } from "../../errors.ts";

export const awsAuthError = (msg: string) => new GatewayError(401, `litellm.AuthenticationError: BedrockException - ${msg}`, { kind: "AuthenticationError" });

namespace OrasAssemble.Webhook.Tests.TestSupport;

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

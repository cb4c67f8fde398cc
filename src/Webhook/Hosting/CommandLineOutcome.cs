namespace OrasAssemble.Webhook.Hosting;

/// <summary>What the command line asks for: run with <see cref="Options"/>, or exit with <see cref="ExitCode"/> (help, or bad flags).</summary>
internal sealed record CommandLineOutcome(WebhookOptions? Options, int ExitCode);

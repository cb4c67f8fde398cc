using OrasAssemble.Settings;
using OrasAssemble.Webhook.Configuration;

namespace OrasAssemble.Webhook.Tests.Configuration;

/// <summary>The <c>webhook:</c> section of the settings file.</summary>
public sealed class WebhookSettingsParserTests
{
    [Fact]
    public void The_webhook_section_lists_namespaces_and_other_sections_are_left_to_their_readers()
    {
        var settings = WebhookSettingsParser.Parse("""
            registries: {"ghcr.io": {mirrors: [m.local]}}
            cache: {budget: 20Gi}
            webhook:
              namespaces:
                - shop
                - batch
            """, "config.yaml");

        Assert.Equal(["batch", "shop"], settings.Namespaces!.Order(StringComparer.Ordinal));
        Assert.Null(WebhookSettingsParser.Parse("registries: {}\n", "config.yaml").Namespaces);
        Assert.Null(WebhookSettingsParser.Parse("webhook:\n", "config.yaml").Namespaces);
        Assert.Null(WebhookSettingsParser.Parse("", "config.yaml").Namespaces);
    }

    [Theory]
    [InlineData("webhook: [shop]", "config.yaml:1:10: \"webhook\" must be a mapping with any of namespaces")]
    [InlineData("webhook: {namespaces: []}", "config.yaml:1:23: webhook.namespaces must be a list of one or more namespace names; leave it out to serve every namespace")]
    [InlineData("webhook: {namespaces: shop}", "config.yaml:1:23: webhook.namespaces must be a list of one or more namespace names")]
    [InlineData("webhook: {namespace: [shop]}", "config.yaml:1:11: webhook: unknown key \"namespace\" (known keys: namespaces)")]
    [InlineData("webhook: {namespaces: [shop, -bad]}", "config.yaml:1:30: webhook.namespaces: \"-bad\" is not a namespace name")]
    public void A_wrong_webhook_section_is_reported_with_its_position(string yaml, string message)
    {
        var error = Assert.Throws<HostSettingsException>(() => WebhookSettingsParser.Parse(yaml, "config.yaml"));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("webhook: {namespaces: [shop\n")]
    [InlineData("webhook: {}\n---\nregistries: {}\n")]
    [InlineData("- webhook\n")]
    public void A_file_that_is_not_one_mapping_is_refused_in_the_words_of_every_other_reader(string yaml)
    {
        var expected = Assert.Throws<HostSettingsException>(() => HostSettings.Parse(yaml, "config.yaml")).Message;

        Assert.Equal(expected, Assert.Throws<HostSettingsException>(() => WebhookSettingsParser.Parse(yaml, "config.yaml")).Message);
    }
}

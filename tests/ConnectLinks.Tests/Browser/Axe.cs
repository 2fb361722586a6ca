using System.Text.Json;
using Microsoft.Playwright;

namespace ConnectLinks.Tests.Browser;

/// <summary>One axe-core rule that failed, with the elements (CSS selectors) it failed on.</summary>
public sealed record AxeViolation(string Rule, string Impact, string Help, IReadOnlyList<string> Targets)
{
    /// <summary>Serious or critical: what the suite refuses.</summary>
    public bool IsSeriousOrWorse => Impact is "serious" or "critical";

    public override string ToString() => $"{Impact} {Rule}: {Help} [{string.Join(", ", Targets)}]";
}

/// <summary>
/// Runs axe-core (CONNECTLINKS_TEST_AXE) in a page. The script is evaluated through the DevTools protocol rather than
/// added as a &lt;script&gt; tag, so the page's Content-Security-Policy (<c>script-src 'self'</c>) stays in force.
/// </summary>
public static class Axe
{
    private static readonly Lazy<string> Source = new(() => File.ReadAllText(BrowserTools.Axe));

    /// <summary>Every violation axe-core finds in the page as it is now (WCAG 2.x A and AA rules and best practices).</summary>
    public static async Task<IReadOnlyList<AxeViolation>> RunAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
        {
            // `;0` keeps Playwright from taking the script for a function to call.
            await page.EvaluateAsync(Source.Value + "\n;0");
            (await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'"))
                .ShouldBeTrue("axe-core did not load into the page.");
        }
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({
              rule: v.id, impact: v.impact ?? 'unknown', help: v.help,
              targets: v.nodes.map(n => n.target.join(' ')),
            }))
            """);
        return violations.EnumerateArray().Select(v => new AxeViolation(
            v.GetProperty("rule").GetString()!,
            v.GetProperty("impact").GetString()!,
            v.GetProperty("help").GetString()!,
            v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!).ToList())).ToList();
    }

    /// <summary>Runs axe-core and fails listing every serious or critical violation.</summary>
    public static async Task<IReadOnlyList<AxeViolation>> ShouldHaveNoSeriousViolationsAsync(IPage page)
    {
        var violations = await RunAsync(page);
        var serious = violations.Where(v => v.IsSeriousOrWorse).ToList();
        serious.ShouldBeEmpty($"axe-core found serious or critical violations on {page.Url}:\n" + string.Join("\n", serious));
        return violations;
    }
}

using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Server.Api.Query;

namespace LightNfv.Server.Tests.Api.Query;

/// <summary>The SOL013 filter parser and its evaluation on JSON items.</summary>
public sealed class AttributeFilterTests
{
    private static readonly JsonElement s_item = JsonDocument.Parse("""
        {"id": "a1", "name": "web", "state": "running", "technology": "process", "replicas": 3, "ready": true,
         "createdAt": "2026-12-05T08:00:00+00:00", "host": {"pid": 42, "state": "running"}, "note": null,
         "instances": [{"state": "running", "version": 1}, {"state": "failed", "version": 2}], "kinds": ["instance.failed", "instance.healed"]}
        """).RootElement;

    [Theory]
    [InlineData("(eq,state,running)", true)]
    [InlineData("(eq,state,stopped)", false)]
    [InlineData("(neq,state,stopped)", true)]
    [InlineData("(in,technology,process,container)", true)]
    [InlineData("(in,technology,vm,container)", false)]
    [InlineData("(nin,technology,vm,container)", true)]
    [InlineData("(gt,replicas,2)", true)]
    [InlineData("(gte,replicas,3)", true)]
    [InlineData("(lt,replicas,3)", false)]
    [InlineData("(lte,replicas,3)", true)]
    [InlineData("(gt,replicas,10)", false)]
    [InlineData("(cont,name,we)", true)]
    [InlineData("(ncont,name,we)", false)]
    [InlineData("(cont,name,xx,eb)", true)]
    [InlineData("(eq,host.pid,42)", true)]
    [InlineData("(eq,host/state,running)", true)]
    [InlineData("(eq,instances.state,failed)", true)]
    [InlineData("(neq,instances.state,failed)", false)]
    [InlineData("(gte,instances.version,2)", true)]
    [InlineData("(eq,kinds,instance.healed)", true)]
    [InlineData("(eq,ready,true)", true)]
    [InlineData("(eq,State,running)", true)]
    [InlineData("(gt,createdAt,2026-12-05T07:59:59Z)", true)]
    [InlineData("(lt,createdAt,2026-12-05)", false)]
    [InlineData("(eq,note,null)", true)]
    [InlineData("(gt,note,1)", false)]
    [InlineData("(lt,name,1)", false)]
    [InlineData("(eq,missing.deep,x)", false)]
    [InlineData("(neq,missing,x)", true)]
    [InlineData("(eq,state,running);(eq,technology,process)", true)]
    [InlineData("(eq,state,running);(eq,technology,vm)", false)]
    public void Terms_hold_as_sol013_says(string filter, bool matches) =>
        AttributeFilter.Parse(filter).Matches(s_item).ShouldBe(matches, filter);

    [Fact]
    public void Quoted_values_may_hold_commas_parentheses_and_quotes()
    {
        var item = JsonDocument.Parse("""{"name": "a,b)c'd"}""").RootElement;
        var f = AttributeFilter.Parse("(eq,name,'a,b)c''d')");
        f.Terms.Single().Values.ShouldBe(["a,b)c'd"]);
        f.Matches(item).ShouldBeTrue();
    }

    [Theory]
    [InlineData("eq,state,running", "character 1", "expected '('")]
    [InlineData("(eq,state,running", "not closed", "(eq,state,running")]
    [InlineData("(eq,state)", "needs an operator, an attribute and a value", "(eq,state)")]
    [InlineData("(like,state,run)", "'like'", "is not an operator")]
    [InlineData("(eq,state,running)(eq,name,x)", "character 19", "joined with ';'")]
    [InlineData("(eq,state,running);", "a term must follow", "';'")]
    [InlineData("(eq,host..pid,1)", "'host..pid'", "dotted path")]
    [InlineData("(gt,replicas,1,2)", "takes one value", "use in or nin")]
    [InlineData("(eq,name,'abc)", "quoted value is not closed", "'")]
    [InlineData("", "empty", "(eq,state,running)")]
    public void A_bad_filter_names_the_bad_part(string filter, string part, string hint)
    {
        var e = Should.Throw<LightNfvException>(() => AttributeFilter.Parse(filter));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldStartWith("filter: ");
        e.Message.ShouldContain(part);
        e.Message.ShouldContain(hint);
    }

    [Fact]
    public void Markers_round_trip_and_made_up_ones_are_refused()
    {
        ListQuery.Decode(ListQuery.Encode(40)).ShouldBe(40);
        ListQuery.Decode("40").ShouldBeNull();
        ListQuery.Decode("!!").ShouldBeNull();
        ListQuery.Decode(Convert.ToBase64String("other:1"u8)).ShouldBeNull();
    }
}

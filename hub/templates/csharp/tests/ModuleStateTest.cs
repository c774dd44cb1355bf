// Unit test of {{name}}'s decisions: `dotnet test tests` (no hub needed).
using EdgeModule;
using Xunit;

public class ModuleStateTest
{
    [Fact]
    public void ForwardsUntilDisabled()
    {
        var state = new ModuleState();
        Assert.True(state.ShouldForward());
        state.CountForwarded();
        var patch = new TwinCollection();
        patch["Enabled"] = false;
        Assert.Equal(false, state.ApplyDesired(patch));
        Assert.False(state.ShouldForward());
        Assert.Equal("{\"enabled\":false,\"forwarded\":1}", state.StatusJson());
    }

    [Fact]
    public void IgnoresDesiredPropertiesWithoutABoolean()
    {
        var state = new ModuleState();
        var patch = new TwinCollection();
        patch["Enabled"] = "no";
        Assert.Null(state.ApplyDesired(patch));
        Assert.Null(state.ApplyDesired(new TwinCollection()));
        Assert.True(state.ShouldForward());
    }
}

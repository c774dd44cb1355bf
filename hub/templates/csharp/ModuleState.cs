// The decisions of {{name}}, kept apart from the client so they can be tested alone.
using System.Threading;
using EdgeModule;

internal sealed class ModuleState
{
    private int enabled = 1;
    private long forwarded;

    public bool ShouldForward()
    {
        return Volatile.Read(ref enabled) == 1;
    }

    public void CountForwarded()
    {
        Interlocked.Increment(ref forwarded);
    }

    /// <summary>Takes Enabled from desired properties; the new value, or null when they do not set it.</summary>
    public bool? ApplyDesired(TwinCollection desired)
    {
        object value;
        if (desired == null || !desired.TryGetValue("Enabled", out value) || !(value is bool))
        {
            return null;
        }
        Volatile.Write(ref enabled, (bool)value ? 1 : 0);
        return (bool)value;
    }

    public string StatusJson()
    {
        return "{\"enabled\":" + (ShouldForward() ? "true" : "false") + ",\"forwarded\":" + Interlocked.Read(ref forwarded) + "}";
    }
}

using System.Runtime.CompilerServices;

// The NUnit tests read the native-handle counters.
[assembly: InternalsVisibleTo("EdgeModule.Tests")]

using Grpc.Core;

namespace OrasAssemble.CsiNode.Services;

/// <summary>The caller's deadline (from <c>grpc-timeout</c>) as the publisher takes it: null when the caller set none.</summary>
internal static class CallDeadline
{
    public static DateTimeOffset? Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(DateTime.SpecifyKind(context.Deadline, DateTimeKind.Utc));
    }
}

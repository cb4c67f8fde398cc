using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Content;

[UnsupportedOSPlatform("windows")]
public sealed class BlobStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly BlobStore _store;

    public BlobStoreTests() => _store = new BlobStore(new BlobStoreOptions { Root = _dir.Path });

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5 * 1024 * 1024 + 3)]
    public async Task PushedBlobReadsBackIdenticalFromItsDigestPath(int size)
    {
        var content = TestContent.Random(size, seed: size);
        var descriptor = TestContent.Describe(content);

        await _store.PushAsync(descriptor, new MemoryStream(content));

        var path = _store.GetPath(descriptor.Digest);
        Assert.Equal(_dir.Combine("blobs", "sha256", Digest.Encoded(descriptor.Digest)), path);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.True(await _store.ExistsAsync(descriptor));
        Assert.Equal(content, await TestContent.ReadAllAsync(_store, descriptor));
        Assert.Equal([$"blobs/sha256/{Digest.Encoded(descriptor.Digest)}"], _dir.Files());
    }

    [Fact]
    public async Task BlobsAreWrittenReadOnlyBecauseTreesHardLinkThem()
    {
        var content = TestContent.Bytes("linked into many trees");
        var descriptor = TestContent.Describe(content);

        await _store.PushAsync(descriptor, new MemoryStream(content));

        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(_store.GetPath(descriptor.Digest)));
    }

    public static TheoryData<string, byte[]> Mismatches => new()
    {
        { "wrong digest", TestContent.Bytes("hello, world") },
        { "too short", TestContent.Bytes("hello") },
        { "too long", TestContent.Bytes("hello, world!!") },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public async Task MismatchThrowsAndLeavesNoFileBehind(string what, byte[] actual)
    {
        // Descriptor of "hello, world" but with a digest that is not its hash in the first case.
        var described = TestContent.Bytes("hello, world");
        var descriptor = what == "wrong digest"
            ? TestContent.Describe(described) with { Digest = Digest.ComputeSha256(TestContent.Bytes("something else")) }
            : TestContent.Describe(described);

        await Assert.ThrowsAsync<ContentVerificationException>(() => _store.PushAsync(descriptor, new MemoryStream(actual)));

        Assert.Empty(_dir.Files());
        Assert.False(await _store.ExistsAsync(descriptor));
        Assert.False(File.Exists(_store.GetPath(descriptor.Digest)));
    }

    [Fact]
    public async Task SixteenConcurrentWritersOfOneBlobAllSucceedAndLeaveOneCorrectFile()
    {
        var content = TestContent.Random(64 * 1024 + 5, seed: 16);
        var descriptor = TestContent.Describe(content);

        var writers = Enumerable.Range(0, 16)
            .Select(_ => Task.Run(() => _store.PushAsync(descriptor, new TrickleStream(content, chunk: 4096))));
        await Task.WhenAll(writers);

        Assert.Equal([$"blobs/sha256/{Digest.Encoded(descriptor.Digest)}"], _dir.Files());
        Assert.Equal(content, await File.ReadAllBytesAsync(_store.GetPath(descriptor.Digest)));
    }

    [Fact]
    public async Task ALateWriterOfTheSameBlobKeepsTheFirstInodeSoHardLinksStayValid()
    {
        var content = TestContent.Bytes("first writer wins");
        var descriptor = TestContent.Describe(content);
        var late = new GatedStream(content);
        var lateWriter = _store.PushAsync(descriptor, late);
        await late.Waiting; // the late writer checked for the blob, found none, and is now streaming

        await _store.PushAsync(descriptor, new MemoryStream(content));
        var link = _dir.Combine("tree-file");
        Run("ln", _store.GetPath(descriptor.Digest), link);
        late.Open();
        await lateWriter;

        Assert.Equal(2, LinkCount(link));
        Assert.Equal([$"blobs/sha256/{Digest.Encoded(descriptor.Digest)}", "tree-file"], _dir.Files());
    }

    [Theory]
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("../../../etc/passwd")]
    [InlineData("sha256:/etc/passwd")]
    [InlineData("sha256:..")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    public async Task DigestsThatAreNotDigestsAreRefusedBeforeAnyPathIsBuilt(string digest)
    {
        var descriptor = new Descriptor { MediaType = "application/octet-stream", Digest = digest, Size = 0 };

        Assert.Throws<FormatException>(() => _store.GetPath(digest));
        await Assert.ThrowsAsync<FormatException>(() => _store.PushAsync(descriptor, new MemoryStream()));
        await Assert.ThrowsAsync<FormatException>(() => _store.FetchAsync(descriptor));
        await Assert.ThrowsAsync<FormatException>(() => _store.ExistsAsync(descriptor));
        await Assert.ThrowsAsync<FormatException>(() => _store.DeleteAsync(descriptor));
        Assert.Empty(_dir.Files());
    }

    [Fact]
    public async Task MissingBlobIsNotFound()
    {
        var descriptor = TestContent.Describe(TestContent.Bytes("never pushed"));

        Assert.False(await _store.ExistsAsync(descriptor));
        await Assert.ThrowsAsync<NotFoundException>(() => _store.FetchAsync(descriptor));
        await Assert.ThrowsAsync<NotFoundException>(() => _store.DeleteAsync(descriptor));
    }

    [Fact]
    public async Task DeleteRemovesTheBlob()
    {
        var content = TestContent.Bytes("short-lived");
        var descriptor = TestContent.Describe(content);
        await _store.PushAsync(descriptor, new MemoryStream(content));

        await _store.DeleteAsync(descriptor);

        Assert.False(await _store.ExistsAsync(descriptor));
        Assert.False(File.Exists(_store.GetPath(descriptor.Digest)));
    }

    [Fact]
    public async Task PushingABlobAlreadyHeldDoesNotReadTheContent()
    {
        var content = TestContent.Bytes("already here");
        var descriptor = TestContent.Describe(content);
        await _store.PushAsync(descriptor, new MemoryStream(content));

        var unread = new TrickleStream(content);
        await _store.PushAsync(descriptor, unread);

        Assert.Equal(0, unread.Position);
    }

    [Fact]
    public async Task AFileOfTheWrongSizeUnderADigestNameIsReplacedOnPush()
    {
        var content = TestContent.Bytes("the real bytes");
        var descriptor = TestContent.Describe(content);
        var path = _store.GetPath(descriptor.Digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "trunc");

        Assert.False(await _store.ExistsAsync(descriptor));
        await _store.PushAsync(descriptor, new MemoryStream(content));

        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task FetchChecksSizeAlwaysAndDigestWhenAsked()
    {
        var content = TestContent.Bytes("0123456789");
        var descriptor = TestContent.Describe(content);
        await _store.PushAsync(descriptor, new MemoryStream(content));
        var path = _store.GetPath(descriptor.Digest);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(path, "9876543210"); // same size, other bytes

        var verifying = new BlobStore(new BlobStoreOptions { Root = _dir.Path, VerifyOnFetch = true });
        await Assert.ThrowsAsync<ContentVerificationException>(() => TestContent.ReadAllAsync(verifying, descriptor));

        // Without VerifyOnFetch the store trusts what it verified on write; tampering is outside its model.
        Assert.Equal(TestContent.Bytes("9876543210"), await TestContent.ReadAllAsync(_store, descriptor));

        await File.WriteAllTextAsync(path, "short");
        await Assert.ThrowsAsync<ContentVerificationException>(() => _store.FetchAsync(descriptor));
    }

    [Fact]
    public async Task CancelledPushLeavesNoTempFile()
    {
        var content = TestContent.Random(256 * 1024, seed: 3);
        var descriptor = TestContent.Describe(content);
        using var cancel = new CancellationTokenSource();
        var stream = new CancellingStream(content, cancel, afterBytes: 100 * 1024);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PushAsync(descriptor, stream, cancel.Token));

        Assert.Empty(_dir.Files());
    }

    [Fact]
    public async Task ListsBlobsAndTotalSizeIgnoringFilesThatAreNotBlobs()
    {
        var sizes = new[] { 0, 10, 1000 };
        var pushed = new List<Descriptor>();
        foreach (var size in sizes)
        {
            var content = TestContent.Random(size, seed: size + 1);
            pushed.Add(TestContent.Describe(content));
            await _store.PushAsync(pushed[^1], new MemoryStream(content));
        }

        await File.WriteAllTextAsync(_dir.Combine("blobs", "sha256", "not-a-digest"), "junk");
        Directory.CreateDirectory(_dir.Combine("tmp"));
        await File.WriteAllTextAsync(_dir.Combine("tmp", "x.partial"), "in flight");

        var listed = await _store.ListAsync().ToListAsync();

        Assert.Equal(pushed.Select(d => d.Digest).Order(), listed.Select(b => b.Digest).Order());
        Assert.All(listed, b => Assert.Equal(_store.GetPath(b.Digest), b.Path));
        Assert.Equal(1010, await _store.GetTotalSizeAsync());
    }

    [Fact]
    public async Task StaleTempFilesAreRemovedAndFreshOnesKept()
    {
        Directory.CreateDirectory(_store.TempDirectory);
        var stale = Path.Combine(_store.TempDirectory, "a.partial");
        var fresh = Path.Combine(_store.TempDirectory, "b.partial");
        await File.WriteAllTextAsync(stale, "left by a crash");
        await File.WriteAllTextAsync(fresh, "being written");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        var removed = await _store.RemoveStaleTempFilesAsync(TimeSpan.FromHours(1));

        Assert.Equal(1, removed);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void TempDirectoryIsConfigurable()
    {
        var store = new BlobStore(new BlobStoreOptions { Root = _dir.Path, TempDirectory = _dir.Combine("staging") });

        Assert.Equal(_dir.Combine("staging"), store.TempDirectory);
        Assert.Equal(_dir.Combine("tmp"), _store.TempDirectory);
    }

    // .NET has no managed API for hard links or st_nlink; coreutils is everywhere these tests run.
    private static long LinkCount(string path) => long.Parse(Run("stat", "-c", "%h", path).Trim(), CultureInfo.InvariantCulture);

    private static string Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    /// <summary>Cancels its token once a number of bytes has been read, as a user pressing Ctrl-C mid-download.</summary>
    private sealed class CancellingStream(byte[] content, CancellationTokenSource cancel, int afterBytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => content.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= afterBytes)
            {
                cancel.Cancel();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(Math.Min(buffer.Length, 8192), content.Length - _position);
            content.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

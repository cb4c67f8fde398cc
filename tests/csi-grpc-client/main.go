// csi-grpc-client calls a CSI node plugin over its unix socket with a real grpc-go ClientConn, the way kubelet and
// the CSI sidecars do, and prints one line per call. The plugin's tests build it with Debian's golang-go and
// golang-google-grpc-dev (GOPATH mode) and check its output for each way of dialling.
//
//	csi-grpc-client -socket /path/csi.sock -dial localhost|unix|path|escaped -kubelet DIR -reference REF [-per-call] [-probes N]
//	csi-grpc-client -socket /path/csi.sock -identity [-dial ...] [-per-call] [-probes N]
//	csi-grpc-client -socket /path/csi.sock -kubelet DIR -reference REF -bench N -bare-source DIR [-dial ...] [-per-call]
//
// With -identity it makes only the calls that need no volume: GetPluginInfo (with the vendor version), Probe,
// NodeGetInfo and NodeGetCapabilities, as node-driver-registrar and kubelet do when the plugin registers. With -bench
// it times warm publishes as kubelet's client sees them, beside bare bind mounts (bench/csi-publish.sh).
//
// Dial forms:
//
//	localhost  the socket path as target, a context dialer, WithAuthority("localhost"): kubelet 1.26 and later
//	unix       target unix://<path>, grpc-go's own dialer: the sidecars
//	path       the socket path as target with a context dialer: kubelet up to 1.25 (the raw path as authority)
//	escaped    as path, with the percent-encoded path as authority: what newer grpc-go sends for it
//
// Messages are encoded by hand (protobuf wire format) and sent through a codec that passes bytes as they are.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// kubeletTimeout is the deadline kubelet gives each CSI call.
const kubeletTimeout = 2 * time.Minute

type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// message builds one protobuf message.
type message []byte

func (m message) tag(field, wireType int) message { return appendVarint(m, uint64(field<<3|wireType)) }

func (m message) str(field int, value string) message { return m.bytes(field, []byte(value)) }

func (m message) bytes(field int, value []byte) message {
	m = appendVarint(m.tag(field, 2), uint64(len(value)))
	return append(m, value...)
}

func (m message) varint(field int, value uint64) message { return appendVarint(m.tag(field, 0), value) }

// entries writes a map<string, string> field, one entry message per key.
func (m message) entries(field int, values map[string]string) message {
	for k, v := range values {
		m = m.bytes(field, message(nil).str(1, k).str(2, v))
	}
	return m
}

func appendVarint(b []byte, v uint64) []byte {
	var buf [binary.MaxVarintLen64]byte
	return append(b, buf[:binary.PutUvarint(buf[:], v)]...)
}

// fields reads a message's fields: varints as numbers, length-delimited fields as bytes.
func fields(b []byte) (map[int][]uint64, map[int][][]byte, error) {
	numbers, blobs := map[int][]uint64{}, map[int][][]byte{}
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, nil, fmt.Errorf("bad field key")
		}
		b = b[n:]
		field, wireType := int(key>>3), key&7
		switch wireType {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, nil, fmt.Errorf("bad varint in field %d", field)
			}
			numbers[field] = append(numbers[field], v)
			b = b[n:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, nil, fmt.Errorf("bad length in field %d", field)
			}
			blobs[field] = append(blobs[field], b[n:n+int(l)])
			b = b[n+int(l):]
		default:
			return nil, nil, fmt.Errorf("unexpected wire type %d in field %d", wireType, field)
		}
	}
	return numbers, blobs, nil
}

func text(blobs map[int][][]byte, field int) string {
	if len(blobs[field]) == 0 {
		return ""
	}
	return string(blobs[field][0])
}

type client struct {
	socket, form string
	perCall      bool
	shared       *grpc.ClientConn
}

func (c *client) dial() (*grpc.ClientConn, error) {
	unixDialer := grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", c.socket)
	})
	options := []grpc.DialOption{grpc.WithInsecure(), grpc.WithBlock()}
	target := c.socket
	switch c.form {
	case "localhost":
		options = append(options, unixDialer, grpc.WithAuthority("localhost"))
	case "unix":
		target = "unix://" + c.socket
	case "path":
		options = append(options, unixDialer)
	case "escaped":
		options = append(options, unixDialer, grpc.WithAuthority(url.QueryEscape(c.socket)))
	default:
		return nil, fmt.Errorf("unknown dial form %q", c.form)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return grpc.DialContext(ctx, target, options...)
}

// call invokes method with request bytes and returns the response bytes; on one connection, or on one of its own.
func (c *client) call(method string, request message) ([]byte, error) {
	conn := c.shared
	if c.perCall || conn == nil {
		var err error
		if conn, err = c.dial(); err != nil {
			return nil, err
		}
		if c.perCall {
			defer conn.Close()
		} else {
			c.shared = conn
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), kubeletTimeout)
	defer cancel()
	in := []byte(request)
	var out []byte
	err := conn.Invoke(ctx, method, &in, &out, grpc.ForceCodec(rawCodec{}))
	return out, err
}

func report(name string, err error, detail string) bool {
	if err != nil {
		s, _ := status.FromError(err)
		fmt.Printf("%s error code=%s message=%q\n", name, s.Code(), s.Message())
		return false
	}
	fmt.Printf("%s ok %s\n", name, detail)
	return true
}

func main() {
	socket := flag.String("socket", "", "the plugin's unix socket")
	form := flag.String("dial", "localhost", "localhost, unix, path or escaped")
	kubelet := flag.String("kubelet", "", "the kubelet directory that holds pods/")
	reference := flag.String("reference", "", "oras.artifact.reference of the inline volume")
	perCall := flag.Bool("per-call", false, "a new connection for every call, as kubelet makes")
	probes := flag.Int("probes", 50, "extra Probe calls, as a livenessprobe sidecar makes")
	identity := flag.Bool("identity", false, "only the identity calls, NodeGetInfo and NodeGetCapabilities")
	rounds := flag.Int("bench", 0, "instead of the calls below, this many timed rounds of NodeGetInfo, publish, unpublish and a bare bind")
	bareSource := flag.String("bare-source", "", "with -bench: the directory the bare binds mount")
	flag.Parse()
	if *socket == "" || (!*identity && (*kubelet == "" || *reference == "")) {
		flag.Usage()
		os.Exit(2)
	}

	c := &client{socket: *socket, form: *form, perCall: *perCall}
	if *rounds > 0 {
		if err := bench(c, *kubelet, *reference, *bareSource, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, err)
			finish(c, false)
		}
		finish(c, true)
	}

	ok := true

	out, err := c.call("/csi.v1.Identity/GetPluginInfo", nil)
	_, blobs, perr := fields(out)
	info := fmt.Sprintf("name=%s", text(blobs, 1))
	if *identity {
		info += fmt.Sprintf(" version=%s", text(blobs, 2))
	}
	ok = report("GetPluginInfo", firstError(err, perr), info) && ok

	probed := 0
	for i := 0; i <= *probes; i++ {
		out, err = c.call("/csi.v1.Identity/Probe", nil)
		if err != nil {
			break
		}
		_, blobs, perr = fields(out)
		if perr != nil || len(blobs[1]) == 0 {
			err = firstError(perr, fmt.Errorf("no ready field"))
			break
		}
		numbers, _, _ := fields(blobs[1][0])
		if len(numbers[1]) == 0 || numbers[1][0] != 1 {
			err = fmt.Errorf("not ready")
			break
		}
		probed++
	}
	ok = report("Probe", err, fmt.Sprintf("ready=true calls=%d", probed)) && ok

	out, err = c.call("/csi.v1.Node/NodeGetInfo", nil)
	_, blobs, perr = fields(out)
	ok = report("NodeGetInfo", firstError(err, perr), fmt.Sprintf("node_id=%s", text(blobs, 1))) && ok

	if *identity {
		out, err = c.call("/csi.v1.Node/NodeGetCapabilities", nil)
		_, blobs, perr = fields(out)
		rpcs := ""
		for _, capability := range blobs[1] {
			_, oneof, _ := fields(capability)
			for _, rpc := range oneof[1] {
				numbers, _, _ := fields(rpc)
				rpcs += rpcName(first(numbers[1])) + ","
			}
		}
		ok = report("NodeGetCapabilities", firstError(err, perr), "rpcs="+rpcs) && ok
		finish(c, ok)
	}

	// An ephemeral inline volume as kubelet publishes it.
	podUID := fmt.Sprintf("0c6d5b8e-go-%s-%d", *form, os.Getpid())
	volumeID, target, publish, err := volume(*kubelet, podUID, "go-client-"+*form, *reference)
	if err != nil {
		fmt.Printf("setup error %v\n", err)
		os.Exit(1)
	}
	_, err = c.call("/csi.v1.Node/NodePublishVolume", publish)
	entries, _ := os.ReadDir(target)
	names := ""
	for _, e := range entries {
		names += e.Name() + ","
	}
	ok = report("NodePublishVolume", err, fmt.Sprintf("target=%s entries=%s", target, names)) && ok

	out, err = c.call("/csi.v1.Node/NodeGetVolumeStats", message(nil).str(1, volumeID).str(2, target))
	_, blobs, perr = fields(out)
	usage := ""
	for _, u := range blobs[1] {
		numbers, _, _ := fields(u)
		unit := map[uint64]string{1: "bytes", 2: "inodes"}[first(numbers[4])]
		usage += fmt.Sprintf("%s=%d,", unit, first(numbers[3]))
	}
	ok = report("NodeGetVolumeStats", firstError(err, perr), "used="+usage) && ok

	for i := 1; i <= 2; i++ {
		_, err = c.call("/csi.v1.Node/NodeUnpublishVolume", message(nil).str(1, volumeID).str(2, target))
		_, statErr := os.Stat(target)
		ok = report(fmt.Sprintf("NodeUnpublishVolume#%d", i), err, fmt.Sprintf("target_exists=%t", statErr == nil)) && ok
	}

	finish(c, ok)
}

// volume makes the target directory's parent and the NodePublishVolume request kubelet sends for a pod's ephemeral
// inline volume "app" of reference, and returns the volume ID and target with it.
func volume(kubelet, podUID, podName, reference string) (string, string, message, error) {
	volumeName := "app"
	sum := sha256.Sum256([]byte(podUID + volumeName))
	volumeID := "csi-" + hex.EncodeToString(sum[:])
	target := filepath.Join(kubelet, "pods", podUID, "volumes", "kubernetes.io~csi", volumeName, "mount")
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return "", "", nil, err
	}
	capability := message(nil).
		bytes(2, nil).                      // mount, no fs type or flags
		bytes(3, message(nil).varint(1, 1)) // access mode SINGLE_NODE_WRITER
	publish := message(nil).
		str(1, volumeID).
		str(4, target).
		bytes(5, capability).
		varint(6, 1).
		entries(8, map[string]string{
			"csi.storage.k8s.io/ephemeral":           "true",
			"csi.storage.k8s.io/pod.name":            podName,
			"csi.storage.k8s.io/pod.namespace":       "default",
			"csi.storage.k8s.io/pod.uid":             podUID,
			"csi.storage.k8s.io/serviceAccount.name": "default",
			"oras.artifact.reference":                reference,
		})
	return volumeID, target, publish, nil
}

// finish closes the shared connection and exits, with 1 when a call failed.
func finish(c *client, ok bool) {
	if c.shared != nil {
		c.shared.Close()
	}
	if !ok {
		os.Exit(1)
	}
	os.Exit(0)
}

// rpcName is the name of a NodeServiceCapability.RPC.Type value in csi.proto.
func rpcName(value uint64) string {
	names := map[uint64]string{
		0: "UNKNOWN", 1: "STAGE_UNSTAGE_VOLUME", 2: "GET_VOLUME_STATS", 3: "EXPAND_VOLUME",
		4: "VOLUME_CONDITION", 5: "SINGLE_NODE_MULTI_WRITER", 6: "VOLUME_MOUNT_GROUP",
	}
	if name, known := names[value]; known {
		return name
	}
	return fmt.Sprintf("%d", value)
}

func first(values []uint64) uint64 {
	if len(values) == 0 {
		return 0
	}
	return values[0]
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

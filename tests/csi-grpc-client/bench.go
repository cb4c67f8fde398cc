package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// bench times rounds of what kubelet asks of a node plugin for a cached volume, on one connection: a NodeGetInfo
// (the round trip alone), a NodePublishVolume and its NodeUnpublishVolume; and, in the same round, the plugin's own
// mount(2) calls on their own (bind, then remount read-only, nosuid, nodev) from bareSource, as the reference. It
// prints "name value" lines: p50, p90, p99 and max in milliseconds of each.
func bench(c *client, kubelet, reference, bareSource string, rounds int) error {
	var transport, publish, bare []time.Duration
	for i := 0; i < rounds; i++ {
		started := time.Now()
		if _, err := c.call("/csi.v1.Node/NodeGetInfo", nil); err != nil {
			return fmt.Errorf("NodeGetInfo: %w", err)
		}
		transport = append(transport, time.Since(started))

		podUID := fmt.Sprintf("0c6d5b8e-go-bench-%d-%d", os.Getpid(), i)
		volumeID, target, request, err := volume(kubelet, podUID, fmt.Sprintf("go-bench-%d", i), reference)
		if err != nil {
			return err
		}
		started = time.Now()
		if _, err := c.call("/csi.v1.Node/NodePublishVolume", request); err != nil {
			return fmt.Errorf("NodePublishVolume %d: %w", i, err)
		}
		publish = append(publish, time.Since(started))
		if !mounted(target) {
			return fmt.Errorf("NodePublishVolume %d answered OK but %s is not mounted", i, target)
		}
		if _, err := c.call("/csi.v1.Node/NodeUnpublishVolume", message(nil).str(1, volumeID).str(2, target)); err != nil {
			return fmt.Errorf("NodeUnpublishVolume %d: %w", i, err)
		}

		elapsed, err := bareBind(bareSource, filepath.Join(kubelet, "go-bare", fmt.Sprint(i)))
		if err != nil {
			return err
		}
		bare = append(bare, elapsed)
	}
	summary("transport", transport)
	summary("publish", publish)
	summary("bare", bare)
	return nil
}

// bareBind mounts source read-only at a new directory as the plugin does, timing the two mount(2) calls, and unmounts it.
func bareBind(source, target string) (time.Duration, error) {
	if err := os.MkdirAll(target, 0o750); err != nil {
		return 0, err
	}
	started := time.Now()
	if err := syscall.Mount(source, target, "", syscall.MS_BIND, ""); err != nil {
		return 0, fmt.Errorf("bind %s at %s: %w", source, target, err)
	}
	err := syscall.Mount(source, target, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, "")
	elapsed := time.Since(started)
	if unmountErr := syscall.Unmount(target, 0); err == nil {
		err = unmountErr
	}
	return elapsed, err
}

// mounted says whether path is a mount point, by the mount table (a bind mount keeps its file system's device number).
func mounted(path string) bool {
	table, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(table), "\n") {
		// Field 5 is the mount point, with space, tab, newline and backslash escaped in octal.
		if fields := strings.Fields(line); len(fields) > 4 && unescape(fields[4]) == path {
			return true
		}
	}
	return false
}

func unescape(field string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(field)
}

// summary prints name's percentiles by nearest rank.
func summary(name string, durations []time.Duration) {
	sorted := append([]time.Duration(nil), durations...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, p := range []struct {
		label string
		value float64
	}{{"p50", 50}, {"p90", 90}, {"p99", 99}, {"max", 100}} {
		rank := int(math.Ceil(p.value / 100 * float64(len(sorted))))
		if rank < 1 {
			rank = 1
		}
		fmt.Printf("%s_%s_ms %.2f\n", name, p.label, float64(sorted[rank-1].Microseconds())/1000)
	}
}

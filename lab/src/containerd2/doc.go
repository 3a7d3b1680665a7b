// Package containerd2 pins containerd 2.x for the lab's second container runtime (node kdebug-lab-w2):
// go.mod names its commands as tools (cmd/containerd, cmd/containerd-shim-runc-v2, cmd/ctr), and
// lab/lib/build.sh builds each one from the Go module proxy into the lab cache.
package containerd2

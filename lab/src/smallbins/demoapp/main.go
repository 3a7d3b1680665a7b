// Command demoapp is the only file of the lab's "no shell" image (like a
// distroless application image): an HTTP server, or a process that crashes
// the way a misconfigured application does.
//
//	demoapp serve [ADDR]   answer HTTP on ADDR (default :8080): / and /healthz
//	demoapp crash          print a configuration error and exit 1
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "serve":
		addr := ":8080"
		if len(os.Args) > 2 {
			addr = os.Args[2]
		}
		http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
			host, _ := os.Hostname()
			fmt.Fprintf(w, "demoapp on %s\n", host)
		})
		http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		fmt.Printf("demoapp listening on %s\n", addr)
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "crash":
		fmt.Println("demoapp starting")
		fmt.Fprintln(os.Stderr, "fatal: open /etc/demoapp/config.yaml: no such file or directory")
		os.Exit(1)
	default:
		fmt.Fprintf(os.Stderr, "usage: demoapp serve [ADDR] | demoapp crash\n")
		os.Exit(2)
	}
}

// Command hostile runs a campaign of package hostile against a node, for
// the process tests: its own process, built without the race detector, so
// the attackers neither share a Go scheduler with the client whose latency
// a test measures nor cost, on the test's own machine, far more CPU than
// the attacks they make.
//
// Usage: hostile -plan '<hostile.Plan as JSON>'. It prints "ready" once
// the flooders have their sessions, attacks until its standard input
// closes, then prints "report " and the hostile.Report as JSON, and exits.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/paddock-zk/paddock/internal/hostile"
)

func main() {
	plan := flag.String("plan", "", "the campaign, a hostile.Plan as JSON")
	limit := flag.Duration("limit", 2*time.Minute, "stop after this long even if standard input stays open")
	flag.Parse()
	var p hostile.Plan
	if err := json.Unmarshal([]byte(*plan), &p); err != nil {
		fmt.Fprintln(os.Stderr, "hostile: bad -plan:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	p.Ready = func() { fmt.Println("ready") }
	rep := hostile.Run(ctx, p)
	b, err := json.Marshal(rep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile: report:", err)
		os.Exit(1)
	}
	fmt.Printf("report %s\n", b)
}

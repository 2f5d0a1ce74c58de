package main

import (
	"bufio"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the p-quantile (0 ≤ p ≤ 1) of sorted by the nearest-rank
// method: the smallest sample with at least p of the samples at or below
// it, so p999 of 1,000 samples is the largest rather than an
// interpolation that no request saw.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// median of xs (the mean of the middle two for an even count); NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// parseSrvr reads the "Key: value" lines of a srvr answer (Mode, Zxid,
// Node count, Zookeeper version, …); ZooKeeper and Paddock answer alike.
func parseSrvr(s string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return kv
}

// parseVMRSS reads VmRSS from a /proc/PID/status text, in bytes.
func parseVMRSS(status string) (int64, error) {
	for _, l := range strings.Split(status, "\n") {
		v, ok := strings.CutPrefix(l, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q: want a number of kB", l)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS line %q: %w", l, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line (a zombie or kernel thread?)")
}

// parseOnly splits the -only flag into a set of known parts.
func parseOnly(s string) (map[string]bool, error) {
	set := map[string]bool{}
	if strings.TrimSpace(s) == "" || s == "all" {
		for _, p := range parts {
			set[p] = true
		}
		return set, nil
	}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(parts, p) {
			return nil, fmt.Errorf("-only: unknown part %q (want some of %s)", p, strings.Join(parts, ","))
		}
		set[p] = true
	}
	return set, nil
}

// thousands formats x with a comma every three digits, rounded to an
// integer, as the README's tables do.
func thousands(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := strconv.FormatInt(int64(math.Round(math.Abs(x))), 10)
	var b strings.Builder
	if x < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// short formats x with about three significant digits (1.23, 12.3, 123,
// 1,234), for latencies and seconds.
func short(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "–"
	case math.Abs(x) >= 100:
		return thousands(x)
	case math.Abs(x) >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// ratio formats a/b as "1.23×", or "–" when either side is missing.
func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a <= 0 || b <= 0 {
		return "–"
	}
	r := a / b
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "×"
}

// row is one line of the result table. Paddock's and ZooKeeper's cells
// are text; the advantage column is computed from pv and zv: Paddock ÷
// ZooKeeper when higher is better (throughput), ZooKeeper ÷ Paddock when
// lower is better (latency, time, memory), so above 1× always means
// Paddock does better.
type row struct {
	figure       string
	paddock, zk  string
	pv, zv       float64
	higherBetter bool
}

func (r row) advantage() string {
	if r.higherBetter {
		return ratio(r.pv, r.zv)
	}
	return ratio(r.zv, r.pv)
}

// markdown renders rows as a Markdown table.
func markdown(rows []row) string {
	var b strings.Builder
	b.WriteString("| figure | Paddock | ZooKeeper | Paddock's advantage |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(r.figure), cell(r.paddock), cell(r.zk), r.advantage())
	}
	return b.String()
}

// cell keeps a table cell on its row: a pipe would end it.
func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

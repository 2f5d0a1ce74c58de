// Package metrics owns a node's metrics: the counters and summaries the
// node's parts feed through small hooks (the log's fsyncs, the store's
// proposals and commits, the voter's elections, the front end's request
// latencies), their mntr form (Fill), and the node's own Prometheus
// registry, which exports them with the node's status under the names of
// ZooKeeper 3.8's PrometheusMetricsProvider, beside Paddock's own
// (paddock_*) and the Go runtime's and the process's; Serve puts the
// registry on /metrics.
//
// The measured packages know nothing of Prometheus: each takes a func or
// a struct of funcs, and this package's methods fit them. Every hook is
// cheap: atomic adds, a summary's and a histogram's observation, no
// allocation. Gauges are read from the node's status when scraped.
//
// Units follow the names: ZooKeeper's summaries and gauges are in
// milliseconds and bytes, as ZooKeeper exports them; Paddock's histograms
// are in seconds, as Prometheus names them.
package metrics

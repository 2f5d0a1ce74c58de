// Package testkit runs Paddock ensembles for tests: in-process nodes
// (Local, StartAll, on configs from Configs) and real node processes
// (Ensemble: the node binary built once per test binary, zoo.cfg written,
// kill -9, SIGSTOP/SIGCONT, routes through fault proxies, srvr and mntr
// polling, leader and settle waits, replica digests compared, logs shown
// on failure). Every package that needs an ensemble uses these, so a
// change to how one is started or waited for is made once.
//
// The in-process half does not import package server, whose own tests
// (package server) use it: a Local runs any Node through a StartFunc the
// test supplies (a line around server.Start). The process half sees what
// an operator sees (processes, TCP routes, four-letter words) and returns
// errors where the gauntlet (internal/gauntlet), which runs outside a
// test, needs them; the methods that take a testing.TB fail the test.
//
// Test infrastructure only: nothing but _test.go files, internal/gauntlet
// and the benchmark harness cmd/zkcompare import it (internal/archtest
// checks). The small
// helpers with no ensemble in them (FreePort, SyncBuffer, certificates,
// Apache ZooKeeper for differential tests) stay in internal/testutil.
package testkit

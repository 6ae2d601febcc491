#!/bin/sh
# test_slurm.sh DOCBIN TMPDIR - runs the Slurm recipe (slurm_batch.sbatch) for
# real: a munge key and a single-node slurm.conf are written to TMPDIR, munged,
# slurmctld and slurmd are started from them (as the current user, private
# ports and folders), a 3-task job array (ids 1-3, so TASK_MIN matters) runs
# the recipe, and the union of its shards must equal a one-machine run, byte
# for byte. Exit 77 (skipped) when slurm-wlm or munge is not installed.
set -u
DOCBIN=$1 T=$2
here=$(cd "$(dirname "$0")" && pwd)
for c in slurmctld slurmd sbatch sinfo squeue munged; do
  command -v $c >/dev/null 2>&1 || [ -x /usr/sbin/$c ] || {
    echo "skip: $c not installed (apt-get install slurm-wlm munge)"; exit 77; }
done
PATH=$PATH:/usr/sbin
rm -rf "$T"; mkdir -p "$T/state" "$T/spool" "$T/in/sub"
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; sleep 1
            for p in $pids; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$T"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

# pages: the shared test generator when built, else copies of one page
"$DOCBIN" --version >/dev/null || fail "cannot run $DOCBIN"
gen=$(dirname "$DOCBIN")/../../bench/gen_page
[ -x "$gen" ] || { echo "skip: no page generator at $gen (configure with DOCBIN_BENCH=ON)"; exit 77; }
for i in 1 2 3 4 5 6 7 8 9; do
  d=$T/in; [ $i -gt 6 ] && d=$T/in/sub
  "$gen" --seed $i $((200 + 10 * i)) 150 "$d/p$i.png" >/dev/null || fail "gen_page failed"
done
printf 'not an image' > "$T/in/corrupt.png"

# munge with a fresh key, its own socket
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge.key"
chmod 700 "$T"
munged --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
       --log-file="$T/munged.log" --seed-file="$T/munged.seed" --force 2>"$T/munged.err" ||
  fail "munged did not start: $(cat "$T/munged.err")"
sleep 1; pids="$pids $(cat "$T/munged.pid")"

host=$(hostname -s)
cpus=$(nproc)
port=$((20000 + $$ % 20000))
user=$(id -un)
cat > "$T/slurm.conf" <<CONF
ClusterName=docbintest
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$T/slurmctld.out.log" 2>&1 & pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$T/slurmd.out.log" 2>&1 & pids="$pids $!"
ok=0
for i in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed)'; then ok=1; break; fi
  sleep 1
done
[ $ok = 1 ] || fail "the single-node cluster did not come up"
echo "slurm: node $host up ($(sinfo -h -o '%T %c'))"

# the recipe, as a user would submit it
sbatch --wait --array=1-3 --cpus-per-task=1 --output="$T/task-%a.log" \
  --export=ALL,IN="$T/in",OUT="$T/out_slurm",DOCBIN="$DOCBIN",METHOD=otsu \
  "$here/slurm_batch.sbatch" >"$T/sbatch.log" 2>&1
rc=$?
cat "$T/sbatch.log"
# the corrupt page fails in exactly one task: sbatch --wait then reports it
grep -q 'corrupt.png' "$T"/task-*.log || fail "no task reported the corrupt page"
[ "$(grep -l 'corrupt.png' "$T"/task-*.log | wc -l)" = 1 ] || fail "corrupt page in several shards"
[ $rc -ne 0 ] || fail "sbatch --wait reported success although one page failed"
n=$(cat "$T"/out_slurm/reports/task-*.jsonl | wc -l)
[ "$n" = 10 ] || fail "reports hold $n lines, want 10 (one per page)"

"$DOCBIN" batch -r -q -m otsu "$T/in" -o "$T/out_one" 2>/dev/null
rm -rf "$T/out_slurm/reports"
diff -r "$T/out_one" "$T/out_slurm" || fail "Slurm shards differ from the one-machine run"
echo "PASS: 3 Slurm array tasks == one machine, $(find "$T/out_one" -type f | wc -l) outputs byte for byte"

#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this machine as Spark's resource JSON,
#   {"name": "gpu", "addresses": ["0","1",...]}
# Point spark.executor.resource.gpu.discoveryScript (and spark.driver.resource.gpu.discoveryScript
# if the driver needs one) at this file; it must be executable on every worker.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo '{"name": "gpu", "addresses": []}'
  exit 0
fi

ADDRS=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/","/g')
if [ -z "$ADDRS" ]; then
  echo '{"name": "gpu", "addresses": []}'
else
  echo "{\"name\": \"gpu\", \"addresses\": [\"$ADDRS\"]}"
fi

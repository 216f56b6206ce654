"""`make bench`: throughput and latency figures, each next to a raw baseline measured in the same run."""

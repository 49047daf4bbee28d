"""Airflow DAG: phi4spark generate -> filter -> score, one run per day, with spark-submit.

Each task submits the phi4spark application jar (``mvn -B -DskipTests package`` builds
``jobs/target/phi4spark-jobs-<version>-all.jar``) with main class ``dev.phi4spark.jobs.Main``; the
arguments are the ``phi4spark`` command line, so ``bin/phi4spark <args>`` runs the same thing locally.

Parameters (Trigger DAG w/ config, or the defaults below):

* ``config``: the YAML configuration file, readable where the driver runs (client mode: this worker).
* ``warehouse``: the Delta warehouse (a folder or an object-store URI); it overrides the file's
  ``warehouse`` so that the score task can read ``synthetic_curated`` by path.
* ``application``: the application jar.

The run date ``{{ ds }}`` is in the Spark application's name and seeds generation (``generate.seed`` is
``{{ ds_nodash }}``, e.g. 20250101), so each day's run draws new rows and a rerun of the same day draws
the same ones.

Retries: every task always passes ``--resume``. Writes are insert-only MERGEs keyed by row id, and
``--resume`` skips the ids already in the output table, so a retry after a lost executor or a killed
driver finishes only the missing work, and on a first try (nothing written yet) it changes nothing.
Passing it always rather than ``{{ '--resume' if ti.try_number > 1 else '' }}`` also keeps the argument
list free of empty strings, which the CLI would reject as an unknown positional argument. For filter it
also means a day's run filters only the rows not filtered before (dedup steps then compare new rows among
themselves; run ``phi4spark filter`` without ``--resume`` over the whole table to dedup across days).

``TASK_ARGS`` is plain Python, importable without Airflow, so a test can render its Jinja with sample
values and check each command line with ``--dry-run``.
"""

from datetime import datetime, timedelta

DAG_ID = "phi4spark"
MAIN_CLASS = "dev.phi4spark.jobs.Main"
DEFAULT_PARAMS = {
    "config": "/opt/phi4spark/conf/cluster-gpu.yaml",
    "warehouse": "/data/phi4spark-warehouse",
    "application": "/opt/phi4spark/jobs/target/phi4spark-jobs-0.1.0-SNAPSHOT-all.jar",
}

# Shared by every task: the configuration file and warehouse from the DAG's params, and --resume so that
# a retry skips what the failed try committed.
_COMMON = [
    "--config", "{{ params.config }}",
    "--set", "warehouse={{ params.warehouse }}",
    "--resume",
]

TASK_ARGS = {
    "generate": ["generate"] + _COMMON + [
        "--set", "generate.seed={{ ds_nodash }}",
    ],
    "filter": ["filter"] + _COMMON,
    "score": ["score"] + _COMMON + [
        "--set", "score.input={{ params.warehouse }}/synthetic_curated",
        "--set", "score.format=delta",
        "--set", "score.text_column=completion",
        "--set", "score.id_column=id",
    ],
}

TASK_ORDER = ["generate", "filter", "score"]

DEFAULT_ARGS = {
    "owner": "phi4spark",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=12),
}

try:
    from airflow import DAG
    from airflow.models.param import Param
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
except ImportError:  # Airflow is not installed: TASK_ARGS stays importable for tests and tooling.
    DAG = None

if DAG is not None:
    with DAG(
        dag_id=DAG_ID,
        description="Phi-4 on Spark: synthetic data generate -> filter -> score into Delta tables",
        schedule="@daily",
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,  # runs of different days share the Delta tables; one at a time keeps retries simple
        default_args=DEFAULT_ARGS,
        params={
            "config": Param(DEFAULT_PARAMS["config"], type="string", description="phi4spark YAML config file"),
            "warehouse": Param(DEFAULT_PARAMS["warehouse"], type="string", description="Delta warehouse"),
            "application": Param(DEFAULT_PARAMS["application"], type="string", description="phi4spark -all.jar"),
        },
        tags=["phi4spark", "spark", "llm-data"],
    ) as dag:
        previous = None
        for name in TASK_ORDER:
            task = SparkSubmitOperator(
                task_id=name,
                conn_id="spark_default",
                application="{{ params.application }}",
                java_class=MAIN_CLASS,
                name="phi4spark-" + name + "-{{ ds }}",
                application_args=TASK_ARGS[name],
            )
            if previous is not None:
                previous >> task
            previous = task

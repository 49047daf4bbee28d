"""Airflow DAG: phi4spark generate -> filter -> score, one run per day, with spark-submit.

Each task submits the phi4spark application jar (``mvn -B -DskipTests -Dgpu package`` builds
``jobs/target/phi4spark-jobs-<version>-all.jar``) with main class ``dev.phi4spark.jobs.Main``; the
arguments are the ``phi4spark`` command line, so ``bin/phi4spark <args>`` runs the same thing locally.

What each spark-submit gets (the DAG's params, Trigger DAG w/ config to change them):

* ``packages``: Delta Lake (``io.delta:delta-spark_2.13:4.0.1``), which the application jar leaves to the
  cluster. Add ``org.apache.hadoop:hadoop-aws:3.4.1`` for ``s3a://`` where the cluster lacks it.
* ``properties_file``: Spark settings for GPU executors (``conf/spark-gpu.conf``; the environment
  variable ``PHI4SPARK_PROPERTIES_FILE`` where the DAG is parsed, since older providers do not template it).
* ``files``: the run's YAML configuration (and the GPU discovery script), shipped with the job; the
  driver finds the configuration by its file name (``--config cluster-gpu.yaml``), also in client mode.
* ``--run-date {{ ds }}``: the run key. It enters the seed draws and the row ids, so each day draws new
  topic combinations (never one already written on an earlier day), and a rerun of the same day draws the
  same ones.

Tables: every table lives under the configuration's ``warehouse`` (``hdfs:``, ``s3a:``, ... URIs work);
with ``database`` set (a Hive metastore) each is also registered there by name. The score task reads
``synthetic_curated`` by table name, so it follows the configuration wherever the warehouse is.

Retries: every task passes ``--resume``. Writes are insert-only MERGEs keyed by row id and ``--resume``
skips the ids already in the output table, so a retry after a lost executor or a killed driver finishes
only the missing work; on a first try (nothing written yet) it changes nothing. ``filter --resume``
filters only the rows not filtered before and removes rows that duplicate earlier days' curated rows.

``TASK_ARGS`` and ``spark_submit_command`` are plain Python, importable without Airflow, so a test can
render the command lines for a date and run them. Where Airflow is installed but the Spark provider is
not, importing this file fails with the pip command that fixes it (Airflow shows it as an import error).
"""

import os
from datetime import datetime, timedelta

DAG_ID = "phi4spark"
MAIN_CLASS = "dev.phi4spark.jobs.Main"
DEFAULT_PARAMS = {
    # A file name: the copy shipped with ``files`` (a path or URI also works).
    "config": "cluster-gpu.yaml",
    "files": "/opt/phi4spark/conf/cluster-gpu.yaml,/opt/phi4spark/conf/getGpusResources.sh",
    "packages": "io.delta:delta-spark_2.13:4.0.1",
    "application": "/opt/phi4spark/jobs/target/phi4spark-jobs-0.1.0-SNAPSHOT-all.jar",
}

# Shared by every task: the configuration shipped with the job, and --resume so that a retry skips what
# the failed try committed.
_COMMON = ["--config", "{{ params.config }}", "--resume"]

TASK_ARGS = {
    "generate": ["generate"] + _COMMON + ["--run-date", "{{ ds }}"],
    "filter": ["filter"] + _COMMON,
    "score": ["score"] + _COMMON + [
        "--set", "score.input=synthetic_curated",
        "--set", "score.text_column=completion",
        "--set", "score.id_column=id",
    ],
}

TASK_ORDER = ["generate", "filter", "score"]

# Not a param: older Spark providers do not template properties_file. Set it where the DAG is deployed.
PROPERTIES_FILE = os.environ.get("PHI4SPARK_PROPERTIES_FILE", "/opt/phi4spark/conf/spark-gpu.conf")

# The SparkSubmitOperator arguments each task gets besides its application_args (Jinja, like the args).
SUBMIT_KWARGS = {
    "application": "{{ params.application }}",
    "java_class": MAIN_CLASS,
    "packages": "{{ params.packages }}",
    "properties_file": PROPERTIES_FILE,
    "files": "{{ params.files }}",
}

DEFAULT_ARGS = {
    "owner": "phi4spark",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=12),
}


def spark_submit_command(task, render):
    """The spark-submit command line of ``task`` as SparkSubmitOperator runs it, with ``render`` applied to
    every Jinja string (a test passes a function that substitutes sample values for a date)."""
    kwargs = {k: render(v) for k, v in SUBMIT_KWARGS.items()}
    command = ["spark-submit", "--class", kwargs["java_class"], "--name", render("phi4spark-" + task + "-{{ ds }}")]
    for flag, key in (("--packages", "packages"), ("--properties-file", "properties_file"), ("--files", "files")):
        if kwargs[key]:
            command += [flag, kwargs[key]]
    return command + [kwargs["application"]] + [render(a) for a in TASK_ARGS[task]]


try:
    from airflow import DAG
except ImportError:  # No Airflow here: TASK_ARGS and spark_submit_command stay importable for tests and tooling.
    DAG = None

if DAG is not None:
    try:
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
    except ImportError as e:
        raise ImportError(
            "Cannot load the phi4spark DAG: the Apache Spark provider is not installed "
            "(pip install apache-airflow-providers-apache-spark)") from e
    from airflow.models.param import Param

    with DAG(
        dag_id=DAG_ID,
        description="Phi-4 on Spark: synthetic data generate -> filter -> score into Delta tables",
        schedule="@daily",
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,  # runs of different days share the Delta tables; one at a time keeps retries simple
        default_args=DEFAULT_ARGS,
        params={name: Param(value, type="string") for name, value in DEFAULT_PARAMS.items()},
        tags=["phi4spark", "spark", "llm-data"],
    ) as dag:
        previous = None
        for name in TASK_ORDER:
            task = SparkSubmitOperator(
                task_id=name,
                conn_id="spark_default",
                name="phi4spark-" + name + "-{{ ds }}",
                application_args=TASK_ARGS[name],
                **SUBMIT_KWARGS,
            )
            if previous is not None:
                previous >> task
            previous = task

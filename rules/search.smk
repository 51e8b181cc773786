# search_settings: how every photo is searched (tile, overlap, the camera's info bar and mask, merge, batch), written
# once to results/search/settings.json; the val evaluation, mining and the second round search with it, and
# rule model_card adds the score threshold chosen on val for detect_job, the test figures and spatule detect.


rule search_settings:
    input:
        objects=rules.index_labels.output.objects,  # the largest labelled tag sets the overlap
    output:
        "results/search/settings.json",
    log:
        "logs/search_settings.log",
    conda:
        DATA_ENV
    params:
        detect=search_params(),
        tile_size=config["synth"]["tile_size"],
        info_bar_px=config["camera"]["info_bar_px"],
        class_name=config["labels"]["class_name"],
    script:
        "../scripts/search_settings.py"

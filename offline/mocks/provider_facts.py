"""Values AWS assigns per region that the providers report verbatim.

Unknown regions raise: a mock that guessed would hide exactly the kind of defect these mocks exist
to catch.
"""

from __future__ import annotations

# terraform-provider-aws internal/service/elbv2/hosted_zone_id_data_source.go: hostedZoneIDPerRegionALBMap
# (the CanonicalHostedZoneId DescribeLoadBalancers returns for an application load balancer)
ALB_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z268VQBMOI5EKX", "ap-east-1": "Z3DQVH9N71FHZ0", "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX", "ap-northeast-3": "Z5LXEXXYW11ES", "ap-south-1": "ZP97RAFLXTNZK",
    "ap-south-2": "Z0173938T07WNTVAEPZN", "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65",
    "ap-southeast-3": "Z08888821HLRG5A9ZRTER", "ap-southeast-4": "Z09517862IB2WZLPXG76F",
    "ca-central-1": "ZQSVJUPU6J1EY", "ca-west-1": "Z06473681N0SF6OS049SD", "cn-north-1": "Z1GDH35T77C1KE",
    "cn-northwest-1": "ZM7IZAIOVVDZF", "eu-central-1": "Z215JYRZR1TBD5", "eu-central-2": "Z06391101F2ZOEP8P5EB3",
    "eu-north-1": "Z23TAZ6LKFMNIO", "eu-south-1": "Z3ULH7SSC9OV64", "eu-south-2": "Z0956581394HF5D5LXGAP",
    "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8", "eu-west-3": "Z3Q77PNBQS71R4",
    "il-central-1": "Z09170902867EHPV2DABU", "me-central-1": "Z08230872XQRWHG2XF6I", "me-south-1": "ZS929ML54UICD",
    "sa-east-1": "Z2P70J7HTTTPLU", "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2",
    "us-gov-east-1": "Z166TLBEWOO7G0", "us-gov-west-1": "Z33AYJ8TM3BH4J", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
}

# same file: hostedZoneIDPerRegionNLBMap
NLB_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z203XCE67M25HM", "ap-east-1": "Z12Y7K3UBGUAD1", "ap-northeast-1": "Z31USIVHYNEOWT",
    "ap-northeast-2": "ZIBE1TIR4HY56", "ap-northeast-3": "Z1GWIQ4HH19I5X", "ap-south-1": "ZVDDRBQ08TROA",
    "ap-south-2": "Z0711778386UTO08407HT", "ap-southeast-1": "ZKVM4W9LS7TM", "ap-southeast-2": "ZCT6FZBF4DROD",
    "ap-southeast-3": "Z01971771FYVNCOVWJU1G", "ap-southeast-4": "Z01156963G8MIIL7X90IV",
    "ca-central-1": "Z2EPGBW3API2WT", "ca-west-1": "Z02754302KBB00W2LKWZ9", "cn-north-1": "Z3QFB96KMJ7ED6",
    "cn-northwest-1": "ZQEIKTCZ8352D", "eu-central-1": "Z3F0SRJ5LGBH90", "eu-central-2": "Z02239872DOALSIDCX66S",
    "eu-north-1": "Z1UDT6IFJ4EJM", "eu-south-1": "Z23146JA1KNAFP", "eu-south-2": "Z1011216NVTVYADP1SSV",
    "eu-west-1": "Z2IFOLAFXWLO4F", "eu-west-2": "ZD4D7Y8KGAS4G", "eu-west-3": "Z1CMS0P5QUZ6D5",
    "il-central-1": "Z0313266YDI6ZRHTGQY4", "me-central-1": "Z00282643NTTLPANJJG2P", "me-south-1": "Z3QSRYVP46NYYV",
    "sa-east-1": "ZTK26PT1VY4CU", "us-east-1": "Z26RNL4JYFTOTI", "us-east-2": "ZLMOA37VPKANP",
    "us-gov-east-1": "Z1ZSMQQ6Q24QQ8", "us-gov-west-1": "ZMG1MZ2THAWF1", "us-west-1": "Z24FKFUX50B4VW",
    "us-west-2": "Z18D5FSROUN65G",
}

# terraform-provider-aws internal/service/s3/hosted_zones.go: hostedZoneIDsMap (aws_s3_bucket.hosted_zone_id)
S3_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z83WF9RJE8B12", "ap-east-1": "ZNB98KWMFR0R6", "ap-northeast-1": "Z2M4EHUR26P7ZW",
    "ap-northeast-2": "Z3W03O7B5YMIYP", "ap-northeast-3": "Z2YQB5RD63NC85", "ap-south-1": "Z11RGJOFQNVJUP",
    "ap-south-2": "Z02976202B4EZMXIPMXF7", "ap-southeast-1": "Z3O0J2DXBE1FTB", "ap-southeast-2": "Z1WCIGYICN2BYD",
    "ap-southeast-3": "Z01846753K324LI26A3VV", "ap-southeast-4": "Z0312387243XT5FE14WFO",
    "ap-southeast-5": "Z08660063OXLMA7F1FJHU", "ca-central-1": "Z1QDHH18159H29", "ca-west-1": "Z03565811Z33SLEZTHOUL",
    "cn-north-1": "Z5CN8UMXT92WN", "cn-northwest-1": "Z282HJ1KT0DH03", "eu-central-1": "Z21DNDUVLTQW6Q",
    "eu-central-2": "Z030506016YDQGETNASS", "eu-north-1": "Z3BAZG2TWCNX0D", "eu-south-1": "Z30OZKI7KPW7MI",
    "eu-south-2": "Z0081959F7139GRJC19J", "eu-west-1": "Z1BKCTXD74EZPE", "eu-west-2": "Z3GKZC51ZF0DB4",
    "eu-west-3": "Z3R1K369G5AVDG", "il-central-1": "Z09640613K4A3MN55U7GU", "me-central-1": "Z06143092I8HRXZRUZROF",
    "me-south-1": "Z1MPMWCPA7YB62", "sa-east-1": "Z7KQH4QJS55SO", "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX", "us-gov-east-1": "Z2NIFVYYW2VKV1", "us-gov-west-1": "Z31GFT0UA1I2HV",
    "us-west-1": "Z2F56UZL2M1ACD", "us-west-2": "Z3BJ6K6RIION7M",
}

# AZ IDs are <region code>-az<n> (use1-az1, usw2-az1); GovCloud's codes differ from our name codes.
AZ_ID_PREFIX_OVERRIDES = {"us-gov-west-1": "usgw1", "us-gov-east-1": "usge1"}

# DAX serves plaintext on 8111 ("dax" scheme) and TLS on 9111 ("daxs"): AWS DAX API reference, Endpoint.URL.
DAX_PORT_PLAINTEXT = 8111
DAX_PORT_TLS = 9111


def region_fact(table: dict[str, str], region: str, what: str) -> str:
    """`table`'s value for `region`; an error naming `what` when the region is not in it."""
    try:
        return table[region]
    except KeyError:
        raise KeyError(f"offline mocks: no {what} known for region '{region}'") from None


def az_id_prefix(region: str) -> str:
    """The region code AZ ids start with (`use1` in `use1-az1`)."""
    from components.foundation.regions import short_code

    return AZ_ID_PREFIX_OVERRIDES.get(region) or short_code(region)
